package dev.keyturn.core;

import java.io.IOException;
import java.util.concurrent.TimeUnit;

/**
 * Kills a process group that a step started (its leader's pid is the group id): the command target
 * and hook on a timeout, and the engine for what a dead server's step left running.
 */
public final class ProcessGroups {
  private ProcessGroups() {}

  /** Sends SIGKILL to process group {@code groupId}; does nothing for ids 0 and 1. */
  public static void kill(long groupId) {
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
      // no kill command: the leader at least
      ProcessHandle.of(groupId).ifPresent(ProcessHandle::destroyForcibly);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
