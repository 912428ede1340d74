package dev.keyturn.core;

import java.io.IOException;
import java.util.concurrent.TimeUnit;

/** Kills a process group that a step started (its leader's pid is the group id). */
final class ProcessGroups {
  private ProcessGroups() {}

  static void kill(long groupId) {
    if (groupId <= 1) {
      return;
    }
    try {
      Process kill =
          new ProcessBuilder("kill", "-KILL", "--", "-" + groupId)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
      kill.waitFor(5, TimeUnit.SECONDS);
    } catch (IOException e) {
      // no kill command: nothing more can be done here
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
