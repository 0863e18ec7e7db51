import { FeatureList } from './FeatureList.tsx';

export function VaultsPage() {
  return (
    <FeatureList
      title="Vaults"
      path="/v1/vaults"
      lede="Vaults hold credentials that sessions use without ever seeing them; a saved secret is never shown again."
      empty={<p>Create a vault through the API, add credentials, and pass its id as vault_ids when you create a session.</p>}
    />
  );
}
