package dev.keyturn.cli.delivery;

import static java.util.Objects.requireNonNull;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Runs a child process with the terminal's streams and a given environment, passes on the signals a
 * service manager or a person sends, and reports the child's exit code (128+N when a signal N ended
 * it). One child at a time; {@link #stop} and {@link #start} again replace it ({@code run
 * --watch}).
 *
 * <p>Forwarded: SIGTERM, SIGHUP, SIGINT, SIGUSR1 and SIGUSR2, caught with {@code sun.misc.Signal}
 * (module jdk.unsupported, present in every JDK and needing no command-line flag; HotSpot gives it
 * all five) and sent to the child with {@code kill(1)}, since Java can send only SIGTERM and
 * SIGKILL itself. When standard input is a terminal, SIGINT is not forwarded: the terminal already
 * sends Ctrl-C to the whole foreground process group, child included, so forwarding it would
 * deliver it twice. SIGQUIT is never caught (the JVM keeps it for thread dumps); Ctrl-\ on a
 * terminal reaches the child directly. The handlers are in place from construction to {@link
 * #close}; a signal that arrives while no child runs is passed on to the next one started.
 *
 * <p>Thread-safe: signals arrive on the JVM's signal thread while one other thread starts and stops
 * children.
 */
public final class Supervisor implements AutoCloseable {
  /** The signals passed on to the child, by name. */
  public static final List<String> FORWARDED = List.of("TERM", "HUP", "INT", "USR1", "USR2");

  /** What {@link #start} reports when the child could not start. */
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

  private final List<String> command;
  private final Path workingDir;
  private final Object guard = new Object();
  private final List<String> early = new ArrayList<>(); // guarded
  private final Map<Signal, SignalHandler> previous = new LinkedHashMap<>();
  private Process child; // guarded
  private volatile boolean stopAsked;

  /**
   * Puts the signal handlers in place; no child runs yet.
   *
   * @param terminalInput whether standard input is a terminal (then SIGINT is not forwarded)
   */
  public Supervisor(List<String> command, Path workingDir, boolean terminalInput) {
    this.command = List.copyOf(requireNonNull(command, "command"));
    this.workingDir = requireNonNull(workingDir, "workingDir");
    // The handlers go in before the child starts: a signal in between would otherwise meet the
    // JVM's own (TERM, HUP and INT end the JVM and leave the child running).
    for (String name : FORWARDED) {
      Signal signal = new Signal(name);
      boolean forward = !(name.equals("INT") && terminalInput);
      previous.put(signal, Signal.handle(signal, s -> received(name, forward)));
    }
  }

  /**
   * Runs {@code command} to its end: {@link #start}, then waits for it.
   *
   * @param terminalInput whether standard input is a terminal (then SIGINT is not forwarded)
   * @throws StartFailed when the command cannot be started
   */
  public static int run(
      List<String> command, Map<String, String> environment, Path workingDir, boolean terminalInput)
      throws InterruptedException {
    try (Supervisor supervisor = new Supervisor(command, workingDir, terminalInput)) {
      return supervisor.start(environment).waitFor();
    }
  }

  private void received(String name, boolean forward) {
    if (name.equals("TERM") || name.equals("INT")) {
      stopAsked = true;
    }
    if (!forward) {
      return;
    }
    Process target;
    synchronized (guard) {
      if (child == null) {
        early.add(name);
        return;
      }
      target = child;
    }
    send(target, name);
  }

  /**
   * Starts the command with exactly {@code environment}; signals that arrived while no child ran
   * are passed on to it.
   *
   * @throws StartFailed when the command cannot be started
   * @throws IllegalStateException when a child already runs
   */
  public Process start(Map<String, String> environment) {
    ProcessBuilder builder = new ProcessBuilder(command).inheritIO().directory(workingDir.toFile());
    builder.environment().clear();
    builder.environment().putAll(environment);
    List<String> pending;
    Process started;
    synchronized (guard) {
      if (child != null) {
        throw new IllegalStateException("a child already runs");
      }
      try {
        started = builder.start();
      } catch (IOException e) {
        String message = String.valueOf(e.getMessage());
        if (message.contains("error=2,") || message.contains("error: 2 ")) {
          throw new StartFailed(command.get(0) + ": command not found", 127);
        }
        throw new StartFailed(command.get(0) + ": cannot run it (" + message + ")", 126);
      }
      child = started;
      pending = List.copyOf(early);
      early.clear();
    }
    pending.forEach(name -> send(started, name));
    return started;
  }

  /** Sends signal {@code name} (as {@code kill -s} takes it) to the running child, if any. */
  public void signal(String name) {
    Process target;
    synchronized (guard) {
      target = child;
    }
    if (target != null) {
      send(target, name);
    }
  }

  /**
   * Stops the running child: SIGTERM, then SIGKILL when it has not ended after {@code timeout}.
   *
   * @param beforeKill runs just before SIGKILL is sent (to say so)
   * @return its exit code
   * @throws IllegalStateException when no child runs
   */
  public int stop(Duration timeout, Runnable beforeKill) throws InterruptedException {
    Process target;
    synchronized (guard) {
      target = child;
    }
    if (target == null) {
      throw new IllegalStateException("no child runs");
    }
    target.destroy();
    if (!target.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      beforeKill.run();
      target.destroyForcibly();
    }
    int code = target.waitFor();
    synchronized (guard) {
      child = null;
    }
    return code;
  }

  /** Whether SIGTERM or SIGINT reached this process: the person or service wants it to end. */
  public boolean stopAsked() {
    return stopAsked;
  }

  /** Puts back the signal handlers found at construction. */
  @Override
  public void close() {
    previous.forEach(Signal::handle);
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
