/**
 * `startLineProcess(["bun", "run", script, …args])` → `{ pid, send, nextLine, kill }`: a child process
 * driven by lines, one command line on its stdin, answer lines read back from its stdout. Its stderr
 * is shown, unless `"ignore"` (a process expected to fail).
 */
export function startLineProcess(command: string[], stderr: "inherit" | "ignore" = "inherit") {
  const child = Bun.spawn(command, { stdin: "pipe", stdout: "pipe", stderr });
  const reader = child.stdout.getReader();
  const decoder = new TextDecoder();
  let buffered = "";
  return {
    pid: child.pid,
    send(line: string): void {
      child.stdin.write(`${line}\n`);
      child.stdin.flush();
    },
    async nextLine(): Promise<string> {
      while (!buffered.includes("\n")) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`${command.join(" ")} exited`);
        buffered += decoder.decode(value);
      }
      const newline = buffered.indexOf("\n");
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      return line;
    },
    /** SIGKILL, and wait until the process is gone (reaped: its pid no longer exists). */
    async kill(): Promise<void> {
      child.kill("SIGKILL");
      await child.exited;
    },
  };
}
