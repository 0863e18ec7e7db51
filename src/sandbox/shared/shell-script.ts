/**
 * The persistent shell, built from stateless processes. Each call runs a fresh `bash` that sources
 * the session's saved state (exported variables and the last cwd), evaluates the command, and
 * writes the state back from an EXIT trap, so a failing command or an `exit` still saves it.
 * A command killed at its timeout cannot save: the next call starts from the previous state.
 * Not kept: unexported variables, functions, aliases, and background jobs (they die with the call).
 *
 * All of it happens in that one bash, with builtins only: a second process to read the cwd back,
 * or a `mv` to replace the state file, each cost more than running `true` itself.
 * - The cwd goes back to the server on the report pipe (fd REPORT_FD) as NUL-framed records: one
 *   when the call starts (the saved cwd, which stands if the command is killed) and one from the
 *   EXIT trap. The server takes the last record, so the command's output cannot pose as one (the
 *   command can write to that fd itself, but it can `cd` anywhere anyway).
 * - The state lives in two slots, `shell-state.a` and `.b`; each save overwrites, in place, the
 *   slot the call did not load from. A slot is a `# <seq>` line, one `{ … }` group and
 *   `return 0`, which ends the sourcing, so a longer old text left behind the new one never runs.
 *   The save writes the seq line as zeros first and the real seq only once the rest is written;
 *   the loader takes the slot with the highest seq. A slot cut short by a kill has seq 0 (or
 *   still its old, lower seq if nothing was written yet), so a kill while saving keeps the
 *   previous state, never half of one. In-place writes are the point: truncating or replacing
 *   the file took 1–4 ms per save on a busy 2-core VM (ext4). (`shell-state`, the single file of
 *   earlier versions, is read only when no slot has a seq.)
 *
 * Arguments: $1 the state directory, $2 the command, $3… names of the per-call variables, which win
 * over saved state for this call; afterwards the saved values (if any) are put back.
 */
import { REPORT_FD } from './run-process.ts';

/** Files of the state directory that hold shell state (for `restartShell`). */
export const SHELL_STATE_FILES = ['shell-state.a', 'shell-state.b', 'shell-state', 'shell-state.tmp', 'shell-cwd'];

/** Width of the seq in a slot's first line; fixed, so that the final seq overwrites the zeros exactly. */
const SEQ_DIGITS = 15;

const LOAD_STATE = [
  "__oma_slot= __oma_seq=0",
  "for __oma_s in a b; do",
  "  __oma_v= __oma_n=",
  "  if [ -f \"$__oma_dir/shell-state.$__oma_s\" ]; then read -r __oma_v __oma_n < \"$__oma_dir/shell-state.$__oma_s\"; fi 2>/dev/null",
  `  if [[ $__oma_v == '#' && $__oma_n == +([0-9]) && \${#__oma_n} -eq ${SEQ_DIGITS} ]] && (( 10#$__oma_n > __oma_seq )); then`,
  "    __oma_slot=$__oma_s __oma_seq=$(( 10#$__oma_n ))",
  "  fi",
  "done",
  // Sourced at top level, not in a function, so that the `declare -x` lines stay global.
  "if [ -n \"$__oma_slot\" ]; then . \"$__oma_dir/shell-state.$__oma_slot\"",
  "elif [ -f \"$__oma_dir/shell-state\" ]; then . \"$__oma_dir/shell-state\"; fi",
  "if [ \"$__oma_slot\" = a ]; then __oma_save_slot=b; else __oma_save_slot=a; fi",
  "__oma_save_seq=$(( __oma_seq + 1 ))",
  "unset -v __oma_s __oma_slot __oma_seq",
];

const SAVE_STATE = [
  "__oma_save() {",
  "  __oma_status=$?",
  "  trap - EXIT",
  "  set +e",
  "  for __oma_n in \"${__oma_call_env[@]}\"; do",
  "    __oma_v=\"__oma_prev_$__oma_n\"",
  "    if [ -n \"${!__oma_v+x}\" ]; then export \"$__oma_n=${!__oma_v}\"; else unset -v \"$__oma_n\"; fi",
  "  done",
  "  [ -d \"$__oma_dir\" ] || mkdir -p -- \"$__oma_dir\" 2>/dev/null",
  "  __oma_v=\"$__oma_dir/shell-state.$__oma_save_slot\"",
  `  { printf '# %0${SEQ_DIGITS}d\\n{\\n' 0; export -p; printf 'cd -- %q 2>/dev/null\\n}\\nreturn 0\\n' "$PWD"; } 2>/dev/null 1<> "$__oma_v" &&`,
  `    printf '# %0${SEQ_DIGITS}d\\n' "$__oma_save_seq" 2>/dev/null 1<> "$__oma_v"`,
  `  printf '\\0%s\\0' "$PWD" 2>/dev/null >&${REPORT_FD}`,
  "  exit \"$__oma_status\"",
  "}",
];

export const SHELL_STATE_SCRIPT = [
  "__oma_dir=$1",
  "__oma_cmd=$2",
  "shift 2",
  "__oma_call_env=(\"$@\")",
  "set --",
  "for __oma_n in \"${__oma_call_env[@]}\"; do printf -v \"__oma_keep_$__oma_n\" '%s' \"${!__oma_n}\"; unset -v \"$__oma_n\"; done",
  ...LOAD_STATE,
  "for __oma_n in \"${__oma_call_env[@]}\"; do",
  "  if [ -n \"${!__oma_n+x}\" ]; then printf -v \"__oma_prev_$__oma_n\" '%s' \"${!__oma_n}\"; fi",
  "  __oma_v=\"__oma_keep_$__oma_n\"; export \"$__oma_n=${!__oma_v}\"; unset -v \"$__oma_v\"",
  "done",
  "unset -v __oma_n __oma_v",
  `printf '\\0%s\\0' "$PWD" 2>/dev/null >&${REPORT_FD}`,
  ...SAVE_STATE,
  "trap __oma_save EXIT",
  "eval \"$__oma_cmd\"",
].join('\n');

/** Name of the directory (inside the workdir) holding the shell state and, for subprocess, TMPDIR. */
export const STATE_DIRECTORY_NAME = '.oma';
