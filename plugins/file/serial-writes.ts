/**
 * Runs the writes of one file one after another (writes of different files stay concurrent), so a
 * write that reads the file before replacing it sees no other write land in between.
 */
export class SerialWrites {
  #tails = new Map<string, Promise<void>>();

  serial(file: string, write: () => Promise<void>): Promise<void> {
    const previous = this.#tails.get(file);
    const run = previous ? previous.then(write, write) : write();
    const tail = run.catch(() => {});
    this.#tails.set(file, tail);
    tail.then(() => {
      if (this.#tails.get(file) === tail) this.#tails.delete(file);
    });
    return run;
  }
}
