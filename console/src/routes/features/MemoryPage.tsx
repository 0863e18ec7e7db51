import { FeatureList } from './FeatureList.tsx';

export function MemoryPage() {
  return (
    <FeatureList
      title="Memory"
      path="/v1/memory_stores"
      lede="Memory stores are files that persist across sessions: agents read and write them, and every change is versioned."
      empty={<p>Create a memory store through the API and attach it to a session as a resource.</p>}
    />
  );
}
