package dev.keyturn.cli;

import static java.util.Objects.requireNonNull;

import dev.keyturn.api.VersionEvent;
import dev.keyturn.cli.delivery.ChildEnvironment;
import dev.keyturn.cli.delivery.Mapping;
import dev.keyturn.cli.delivery.MappingSpec;
import dev.keyturn.cli.delivery.OnChange;
import dev.keyturn.cli.delivery.Supervisor;
import dev.keyturn.cli.delivery.Variables;
import dev.keyturn.client.KeyturnClientException;
import dev.keyturn.client.internal.Watch;
import dev.keyturn.client.internal.WatchListener;
import dev.keyturn.client.internal.WireClient;
import dev.keyturn.core.Durations;
import dev.keyturn.core.KeyturnException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;

/**
 * {@code keyturn run --watch}: runs CMD like {@code run}, follows the change events of the names
 * the mapping covers (one {@code GET /v1/watch} stream on the folder they share), and after a
 * relevant change waits a random delay in [0, splay], re-reads the whole mapping (as at start) and,
 * when a value differs, restarts CMD or rewrites its {@code _FILE} files and signals it. Changes
 * that arrive while it waits are folded into that one re-read. A re-read that fails leaves CMD
 * running with the values it has and is tried again with back-off; the stream reconnects on its own
 * with {@code Last-Event-ID}, and a {@code reset} re-reads everything. CMD ending on its own ends
 * the run with its code. Messages name secrets, never values. Used from one thread; the listener
 * methods come from the watch's thread.
 */
final class WatchedRun implements WatchListener {
  static final Duration FIRST_RETRY = Duration.ofSeconds(2);
  static final Duration MAX_RETRY = Duration.ofSeconds(60);
  private static final Duration FIRST_ANSWER = Duration.ofSeconds(60);
  private static final long TICK_MILLIS = 1_000;

  /** How the run reacts to a change; checked by {@link RunCommand}. */
  record Settings(OnChange onChange, Duration splay, Duration stopTimeout) {
    Settings {
      requireNonNull(onChange, "onChange");
      requireNonNull(splay, "splay");
      requireNonNull(stopTimeout, "stopTimeout");
    }
  }

  private final Io io;
  private final WireClient client;
  private final MappingSpec spec;
  private final Settings settings;
  private final RandomGenerator random;
  private final Mapping mapping;
  private final CountDownLatch answered = new CountDownLatch(1);
  private final Object lock = new Object();
  private String changed; // guarded by lock: why to re-read, when something happened since the last
  private volatile boolean streaming;
  private final ConsumerRegistration registration;

  WatchedRun(
      Io io,
      WireClient client,
      MappingSpec spec,
      Settings settings,
      RandomGenerator random,
      ConsumerRegistration registration) {
    this.registration = requireNonNull(registration, "registration");
    this.io = requireNonNull(io, "io");
    this.client = requireNonNull(client, "client");
    this.spec = requireNonNull(spec, "spec");
    this.settings = requireNonNull(settings, "settings");
    this.random = requireNonNull(random, "random");
    this.mapping = new Mapping(new ClientSource(client), w -> say(w));
  }

  /**
   * Runs {@code command} until it ends on its own and returns its exit code.
   *
   * @param environments makes the child's environment once the mapping has been read
   */
  int run(List<String> command, Supplier<ChildEnvironment> environments)
      throws InterruptedException {
    try (Watch watch = client.watch(spec.watchFolder(), Optional.empty(), this)) {
      // Read only once the stream is open: a change committed in between would be missed.
      long end = System.nanoTime() + FIRST_ANSWER.toNanos();
      while (!answered.await(100, TimeUnit.MILLISECONDS)
          && watch.isOpen()
          && System.nanoTime() < end) {
        // waiting for ': ready' or a first failure
      }
      Variables current = mapping.resolve(spec);
      registration.hold(current.holdings());
      try (ChildEnvironment environment = environments.get();
          Supervisor supervisor =
              new Supervisor(command, io.workingDir(), Supervisor.stdinIsTerminal())) {
        io.out().flush();
        io.err().flush();
        Process child = started(supervisor, environment.apply(current));
        Duration retry = FIRST_RETRY;
        boolean scheduled = false;
        long due = 0; // System.nanoTime() of the next re-read, when scheduled
        boolean watchEnded = false;
        while (true) {
          synchronized (lock) {
            while (child.isAlive()) {
              if (changed != null && !scheduled) {
                Duration delay =
                    Duration.ofMillis(random.nextLong(settings.splay().toMillis() + 1));
                say(changed + "; re-reading the mapping in " + seconds(delay));
                due = System.nanoTime() + delay.toNanos();
                scheduled = true;
              }
              long left = scheduled ? (due - System.nanoTime()) / 1_000_000 : TICK_MILLIS;
              if (scheduled && left <= 0) {
                break;
              }
              if (!watchEnded && !watch.isOpen()) {
                watchEnded = true;
                say("stopped following changes (" + failure(watch) + "); CMD keeps its values");
              }
              lock.wait(Math.max(1, Math.min(left, TICK_MILLIS)));
            }
            if (!child.isAlive()) {
              return child.exitValue();
            }
            changed = null;
          }
          scheduled = false;
          Variables fresh;
          try {
            fresh = mapping.resolve(spec);
          } catch (KeyturnException | KeyturnClientException e) {
            Duration wait = jittered(retry);
            retry = doubled(retry);
            say(
                "cannot re-read the mapping ("
                    + ExitCode.message(e)
                    + "); CMD keeps its values; trying again in "
                    + seconds(wait));
            due = System.nanoTime() + wait.toNanos();
            scheduled = true;
            continue;
          }
          if (fresh.sameAs(current)) {
            registration.hold(fresh.holdings());
            retry = FIRST_RETRY;
            say("no mapped value changed; CMD keeps running");
            continue;
          }
          Optional<String> signal = settings.onChange().signal();
          if (signal.isPresent()) {
            try {
              environment.apply(fresh);
            } catch (KeyturnException e) {
              // The folder cannot be written (gone, full): CMD is not signalled, and run goes on
              // supervising it rather than ending and leaving it behind.
              Duration wait = jittered(retry);
              retry = doubled(retry);
              say(
                  ExitCode.message(e)
                      + "; CMD keeps its values and is not signalled; trying again in "
                      + seconds(wait));
              due = System.nanoTime() + wait.toNanos();
              scheduled = true;
              continue;
            }
            retry = FIRST_RETRY;
            current = fresh;
            say("a mapped value changed; files rewritten, sending SIG" + signal.get());
            supervisor.signal(signal.get());
            registration.hold(fresh.holdings());
            continue;
          }
          retry = FIRST_RETRY;
          say("a mapped value changed; restarting CMD");
          int code =
              supervisor.stop(
                  settings.stopTimeout(),
                  () ->
                      say(
                          "CMD did not end within "
                              + Durations.format(settings.stopTimeout())
                              + " of SIGTERM; sending SIGKILL"));
          if (supervisor.stopAsked()) {
            return code;
          }
          current = fresh;
          child = started(supervisor, environment.apply(current));
          registration.hold(current.holdings());
        }
      } catch (Supervisor.StartFailed e) {
        say(e.getMessage());
        return e.exitCode();
      }
    }
  }

  private Process started(Supervisor supervisor, java.util.Map<String, String> environment) {
    Process child = supervisor.start(environment);
    child.onExit().thenRun(this::wake);
    return child;
  }

  private void wake() {
    synchronized (lock) {
      lock.notifyAll();
    }
  }

  private void changed(String what) {
    synchronized (lock) {
      changed = what;
      lock.notifyAll();
    }
  }

  @Override
  public void version(String id, VersionEvent event) {
    if (spec.covers(event.name())) {
      changed(event.name() + " changed");
    }
  }

  @Override
  public void reset(String id) {
    changed("the server cannot replay what this watch missed");
  }

  @Override
  public void reconnected() {
    // A watch that has received no event yet has no id to resume from, so the server cannot replay
    // what it missed; re-reading is safe since an unchanged mapping leaves CMD alone.
    changed("the change stream is back");
  }

  @Override
  public void ready() {
    streaming = true;
    answered.countDown();
  }

  @Override
  public void disconnected(KeyturnClientException cause, Duration retryIn) {
    if (streaming) {
      say("lost the change stream (" + cause.getMessage() + "); reconnecting");
    }
    streaming = false;
    answered.countDown();
  }

  private static String failure(Watch watch) throws InterruptedException {
    try {
      watch.await();
      return "the stream was closed";
    } catch (RuntimeException e) {
      return ExitCode.message(e);
    }
  }

  /** A random wait in [retry/2, retry]: instances that failed together do not retry together. */
  private Duration jittered(Duration retry) {
    return retry.dividedBy(2).plusMillis(random.nextLong(retry.toMillis() / 2 + 1));
  }

  private static Duration doubled(Duration retry) {
    return retry.multipliedBy(2).compareTo(MAX_RETRY) > 0 ? MAX_RETRY : retry.multipliedBy(2);
  }

  private static String seconds(Duration d) {
    return String.format(java.util.Locale.ROOT, "%.1f s", d.toMillis() / 1000.0);
  }

  private void say(String line) {
    io.err().println("keyturn: " + line);
  }
}
