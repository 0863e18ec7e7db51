/**
 * The persistent shell, built from stateless processes. Each call runs a fresh `bash` that sources
 * the session's state file (exported variables and the last cwd), evaluates the command, and
 * writes the state back from an EXIT trap, so a failing command or an `exit` still saves it.
 * A command killed at its timeout cannot save: the next call starts from the previous state.
 * Not kept: unexported variables, functions, aliases, and background jobs (they die with the call).
 *
 * Arguments: $1 the state directory, $2 the command, $3… names of the per-call variables, which win
 * over saved state for this call; afterwards the saved values (if any) are put back.
 */
export const SHELL_STATE_SCRIPT = [
  "__oma_dir=$1",
  "__oma_cmd=$2",
  "shift 2",
  "__oma_call_env=(\"$@\")",
  "set --",
  "for __oma_n in \"${__oma_call_env[@]}\"; do printf -v \"__oma_keep_$__oma_n\" '%s' \"${!__oma_n}\"; unset -v \"$__oma_n\"; done",
  "if [ -f \"$__oma_dir/shell-state\" ]; then . \"$__oma_dir/shell-state\"; fi",
  "for __oma_n in \"${__oma_call_env[@]}\"; do",
  "  if [ -n \"${!__oma_n+x}\" ]; then printf -v \"__oma_prev_$__oma_n\" '%s' \"${!__oma_n}\"; fi",
  "  __oma_v=\"__oma_keep_$__oma_n\"; export \"$__oma_n=${!__oma_v}\"; unset -v \"$__oma_v\"",
  "done",
  "unset -v __oma_n __oma_v",
  "__oma_save() {",
  "  __oma_status=$?",
  "  trap - EXIT",
  "  for __oma_n in \"${__oma_call_env[@]}\"; do",
  "    __oma_v=\"__oma_prev_$__oma_n\"",
  "    if [ -n \"${!__oma_v+x}\" ]; then export \"$__oma_n=${!__oma_v}\"; else unset -v \"$__oma_n\"; fi",
  "  done",
  "  mkdir -p -- \"$__oma_dir\" 2>/dev/null",
  "  { export -p; printf 'cd -- %q 2>/dev/null\\n' \"$PWD\"; } > \"$__oma_dir/shell-state.tmp\" 2>/dev/null &&",
  "    mv -f -- \"$__oma_dir/shell-state.tmp\" \"$__oma_dir/shell-state\" 2>/dev/null",
  "  printf '%s' \"$PWD\" > \"$__oma_dir/shell-cwd\" 2>/dev/null",
  "  exit \"$__oma_status\"",
  "}",
  "trap __oma_save EXIT",
  "eval \"$__oma_cmd\"",
].join('\n');

/** Name of the directory (inside the workdir) holding the shell state and, for subprocess, TMPDIR. */
export const STATE_DIRECTORY_NAME = '.oma';
