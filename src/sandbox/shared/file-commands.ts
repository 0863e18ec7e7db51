/**
 * File operations as small bash scripts run inside the sandbox (path in $1). Running them in the
 * sandbox, not on the host, means a symlink the agent planted cannot make the server (root) read
 * or write outside the sandbox, and the files look exactly as they do to the agent's commands.
 */

/** Exit code of the scripts below when the path does not exist. */
export const EXIT_NOT_FOUND = 100;
/** Exit code when a file was expected and a directory was found, or the reverse. */
export const EXIT_WRONG_TYPE = 101;

export const READ_FILE_SCRIPT = `if [ -d "$1" ]; then exit ${EXIT_WRONG_TYPE}; fi
if [ ! -e "$1" ]; then exit ${EXIT_NOT_FOUND}; fi
exec cat -- "$1"`;

export const WRITE_FILE_SCRIPT = `if [ -d "$1" ]; then exit ${EXIT_WRONG_TYPE}; fi
mkdir -p -- "$(dirname -- "$1")" && cat > "$1"`;

export const LIST_SCRIPT = `if [ ! -e "$1" ]; then exit ${EXIT_NOT_FOUND}; fi
if [ ! -d "$1" ]; then exit ${EXIT_WRONG_TYPE}; fi
exec find "$1" -mindepth 1 -maxdepth 1 -printf '%y\\t%s\\t%T@\\t%f\\0'`;

/** Largest file `readFile` returns, in bytes. */
export const READ_FILE_LIMIT_BYTES = 32 * 1024 * 1024;
