// How the peer scripts talk to the .NET tests: one JSON line per message on stdout, and an exit that waits for them.
// Node writes stdout to a pipe asynchronously on POSIX, and process.exit() drops whatever the pipe (64 KiB) has not
// taken yet: when the test reads late (a loaded machine), a script that printed more than that and exited at once
// was cut short. That was MedplumFanOutTests' "only 176 of 200 subscribers got the event" (176 result lines are
// 64 KiB; the crowd then read as silence, no error): every line was printed, the last 24 never reached the test.

/** Prints one JSON line on stdout. */
export const print = (line) => process.stdout.write(JSON.stringify(line) + '\n');

let exiting = false;

/** Exits with this code once every line printed before has left for the pipe (the first call decides the code). */
export const exit = (code) => {
  if (exiting) return;
  exiting = true;
  process.exitCode = code;
  // Writes leave in order: the callback of this empty one runs when everything printed before it is out.
  process.stdout.write('', () => process.exit(code));
};
