package dev.keyturn.cli.delivery;

import static java.util.Objects.requireNonNull;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Runs one child process with the terminal's streams and a given environment, passes on the signals
 * a service manager or a person sends, and returns the child's exit code (128+N when a signal N
 * ended it).
 *
 * <p>Forwarded: SIGTERM, SIGHUP, SIGINT, SIGUSR1 and SIGUSR2, caught with {@code sun.misc.Signal}
 * (module jdk.unsupported, present in every JDK and needing no command-line flag; HotSpot gives it
 * all five) and sent to the child with {@code kill(1)}, since Java can send only SIGTERM and
 * SIGKILL itself. When standard input is a terminal, SIGINT is not forwarded: the terminal already
 * sends Ctrl-C to the whole foreground process group, child included, so forwarding it would
 * deliver it twice. SIGQUIT is never caught (the JVM keeps it for thread dumps); Ctrl-\ on a
 * terminal reaches the child directly.
 */
public final class Supervisor {
  /** The signals passed on to the child, by name. */
  public static final List<String> FORWARDED = List.of("TERM", "HUP", "INT", "USR1", "USR2");

  /** What {@link #run} reports when the child could not start. */
  public static final class StartFailed extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int exitCode;

    StartFailed(String message, int exitCode) {
      super(message);
      this.exitCode = exitCode;
    }

    /** 127 when the command was not found, 126 when it could not be run. */
    public int exitCode() {
      return exitCode;
    }
  }

  private Supervisor() {}

  /**
   * Runs {@code command} to its end.
   *
   * @param terminalInput whether standard input is a terminal (then SIGINT is not forwarded)
   * @throws StartFailed when the command cannot be started
   */
  public static int run(
      List<String> command, Map<String, String> environment, Path workingDir, boolean terminalInput)
      throws InterruptedException {
    requireNonNull(command, "command");
    ProcessBuilder builder = new ProcessBuilder(command).inheritIO().directory(workingDir.toFile());
    builder.environment().clear();
    builder.environment().putAll(environment);
    // The handlers go in before the child starts: a signal in between would otherwise meet the
    // JVM's own (TERM, HUP and INT end the JVM and leave the child running). One that arrives
    // before the child exists is kept and passed on once it does.
    AtomicReference<Process> started = new AtomicReference<>();
    List<String> early = new ArrayList<>();
    Map<Signal, SignalHandler> previous = new LinkedHashMap<>();
    try {
      for (String name : FORWARDED) {
        Signal signal = new Signal(name);
        SignalHandler forward =
            name.equals("INT") && terminalInput
                ? s -> {}
                : s -> {
                  synchronized (early) {
                    if (started.get() == null) {
                      early.add(name);
                      return;
                    }
                  }
                  send(started.get(), name);
                };
        previous.put(signal, Signal.handle(signal, forward));
      }
      Process child;
      try {
        child = builder.start();
      } catch (IOException e) {
        String message = String.valueOf(e.getMessage());
        if (message.contains("error=2,") || message.contains("error: 2 ")) {
          throw new StartFailed(command.get(0) + ": command not found", 127);
        }
        throw new StartFailed(command.get(0) + ": cannot run it (" + message + ")", 126);
      }
      List<String> pending;
      synchronized (early) {
        started.set(child);
        pending = List.copyOf(early);
      }
      pending.forEach(name -> send(child, name));
      return child.waitFor();
    } finally {
      previous.forEach(Signal::handle);
    }
  }

  private static void send(Process child, String signal) {
    if (!child.isAlive()) {
      return;
    }
    List<String> kill = new ArrayList<>();
    kill.add(Files.isExecutable(Path.of("/bin/kill")) ? "/bin/kill" : "kill");
    kill.addAll(List.of("-s", signal, Long.toString(child.pid())));
    try {
      Process p =
          new ProcessBuilder(kill)
              .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .redirectError(ProcessBuilder.Redirect.INHERIT)
              .start();
      p.waitFor(10, TimeUnit.SECONDS);
    } catch (IOException e) {
      System.err.println("keyturn: cannot pass SIG" + signal + " on: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Whether standard input is a terminal (Linux: what /proc/self/fd/0 points at). */
  public static boolean stdinIsTerminal() {
    try {
      String target = Files.readSymbolicLink(Path.of("/proc/self/fd/0")).toString();
      return target.startsWith("/dev/pts/")
          || target.startsWith("/dev/tty")
          || target.equals("/dev/console");
    } catch (IOException | UnsupportedOperationException e) {
      return false;
    }
  }
}
