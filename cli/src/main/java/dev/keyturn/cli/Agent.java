package dev.keyturn.cli;

import static java.util.Objects.requireNonNull;

import dev.keyturn.api.VersionEvent;
import dev.keyturn.cli.delivery.AgentCache;
import dev.keyturn.cli.delivery.AgentConfig;
import dev.keyturn.cli.delivery.Mapping;
import dev.keyturn.cli.delivery.MappingSpec;
import dev.keyturn.cli.delivery.OutputFiles;
import dev.keyturn.cli.delivery.Variables;
import dev.keyturn.client.KeyturnClientException;
import dev.keyturn.client.KeyturnUnavailableException;
import dev.keyturn.client.internal.Watch;
import dev.keyturn.client.internal.WatchListener;
import dev.keyturn.client.internal.WireClient;
import dev.keyturn.core.KeyturnException;
import java.io.File;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.random.RandomGenerator;

/**
 * {@code keyturn agent}: keeps each configured output up to date (docs/agent.md). At start and on
 * each change event of a name an output maps, it re-reads that output's mapping and, when what it
 * renders differs from what was last applied, writes it atomically, waits a random delay in [0,
 * splay], runs the reload command and the check; a failed check restores the previous file, reloads
 * again and reports. What was applied is kept in the encrypted {@link AgentCache}, so a change made
 * while the agent was down is applied, and reloaded, once when it comes back; with no server at
 * start, outputs are rendered from that cache. Commands come from the configuration only and run
 * without a shell; no value reaches a command line, the log or an event. Used from one thread; the
 * listener methods come from the watch's thread.
 */
final class Agent implements WatchListener {
  static final Duration FIRST_RETRY = Duration.ofSeconds(2);
  static final Duration MAX_RETRY = Duration.ofSeconds(60);

  private final Io io;
  private final WireClient client;
  private final AgentConfig config;
  private final AgentCache cache;
  private final RandomGenerator random;
  private final Mapping mapping;
  private final HttpClient http = HttpClient.newBuilder().build();
  private final CountDownLatch answered = new CountDownLatch(1);
  private final Object lock = new Object();
  private final Set<AgentConfig.Output> dirty = new LinkedHashSet<>(); // guarded by lock
  private final ConsumerRegistration registration;
  private final Map<String, List<Variables.Holding>> held = new java.util.TreeMap<>();
  // by output: the versions its last failed reload or check was of, reported to the server
  private final Map<String, List<Variables.Holding>> failed = new java.util.TreeMap<>();

  Agent(
      Io io,
      WireClient client,
      AgentConfig config,
      AgentCache cache,
      RandomGenerator random,
      ConsumerRegistration registration) {
    this.registration = requireNonNull(registration, "registration");
    this.io = requireNonNull(io, "io");
    this.client = requireNonNull(client, "client");
    this.config = requireNonNull(config, "config");
    this.cache = requireNonNull(cache, "cache");
    this.random = requireNonNull(random, "random");
    this.mapping = new Mapping(new ClientSource(client), this::say);
  }

  /** Runs until the change stream is refused for good; returns the exit code. */
  int run() throws InterruptedException {
    cache.load();
    MappingSpec all =
        config.outputs().stream().map(AgentConfig.Output::mapping).reduce(MappingSpec::plus).get();
    try (Watch watch = client.watch(all.watchFolder(), Optional.empty(), this)) {
      // Read only once the stream is open (or has failed): a change in between would be missed.
      answered.await(30, TimeUnit.SECONDS);
      for (AgentConfig.Output output : config.outputs()) {
        if (!sync(output, true)) {
          markDirty(output);
        }
      }
      Duration retry = FIRST_RETRY;
      long due = 0;
      while (true) {
        List<AgentConfig.Output> todo;
        synchronized (lock) {
          while (dirty.isEmpty() || System.nanoTime() < due) {
            if (!watch.isOpen()) {
              say("stopped following changes (" + failure(watch) + ")");
              return ExitCode.ERROR;
            }
            lock.wait(500);
          }
          todo = List.copyOf(dirty);
          dirty.clear();
        }
        boolean failed = false;
        for (AgentConfig.Output output : todo) {
          if (!sync(output, false)) {
            markDirty(output);
            failed = true;
          }
        }
        if (failed) {
          due = System.nanoTime() + retry.toNanos();
          say("trying again in " + retry.toSeconds() + " s");
          retry =
              retry.multipliedBy(2).compareTo(MAX_RETRY) > 0 ? MAX_RETRY : retry.multipliedBy(2);
        } else {
          retry = FIRST_RETRY;
          due = 0;
        }
      }
    }
  }

  /**
   * Brings {@code output} up to date.
   *
   * @return false when its mapping could not be read (to be tried again)
   */
  private boolean sync(AgentConfig.Output output, boolean start) throws InterruptedException {
    String key = output.path().toString();
    Variables variables;
    try {
      variables = mapping.resolve(output.mapping());
    } catch (KeyturnUnavailableException e) {
      Optional<Variables> kept = start ? cache.variables(key) : Optional.empty();
      if (kept.isEmpty()) {
        say(key + ": cannot read the mapping (" + ExitCode.message(e) + ")");
        return false;
      }
      say(key + ": cannot reach the server (" + ExitCode.message(e) + "); using the local cache");
      variables = kept.get();
    } catch (KeyturnException | KeyturnClientException e) {
      say(key + ": cannot read the mapping (" + ExitCode.message(e) + ")");
      return false;
    }
    Map<String, byte[]> rendered;
    try {
      rendered = OutputFiles.render(output, variables);
    } catch (KeyturnException e) {
      say(key + ": " + ExitCode.message(e) + "; the file is left as it is");
      return true;
    }
    String digest = cache.digest(rendered);
    Optional<AgentCache.Entry> entry = cache.entry(key);
    Optional<Map<String, byte[]>> previous = OutputFiles.current(output);
    if (entry.isPresent() && digest.equals(entry.get().applied())) {
      if (previous.isEmpty() || !OutputFiles.same(previous.get(), rendered)) {
        OutputFiles.write(output, rendered);
        say(key + ": rewrote the applied values (the file had changed); no reload");
      }
      holding(key, variables);
      return true;
    }
    if (entry.isPresent() && digest.equals(entry.get().rejected())) {
      say(key + ": the values whose check failed are still current; keeping the previous file");
      if (!variables.holdings().isEmpty()) {
        failed.put(key, variables.holdings());
        report();
      }
      return true;
    }
    if (entry.isEmpty() && previous.isPresent() && OutputFiles.same(previous.get(), rendered)) {
      cache.put(key, variables, digest, null);
      cache.save();
      say(key + ": up to date");
      holding(key, variables);
      return true;
    }
    OutputFiles.write(output, rendered);
    say(key + ": wrote " + variables.sources().values().stream().distinct().toList());
    if (output.reload().isPresent()) {
      AgentConfig.Reload reload = output.reload().get();
      Duration delay = Duration.ofMillis(random.nextLong(reload.splay().toMillis() + 1));
      say(
          key
              + ": reloading in "
              + String.format(java.util.Locale.ROOT, "%.3f s", delay.toMillis() / 1000.0));
      Thread.sleep(delay.toMillis());
      if (!(runCommand(key, "reload", reload.command(), reload.timeout()) && check(output))) {
        if (previous.isPresent()) {
          OutputFiles.write(output, previous.get());
        } else {
          OutputFiles.remove(output);
        }
        runCommand(key, "reload", reload.command(), reload.timeout());
        say(
            key
                + ": CHECK FAILED after the reload; restored the previous file and reloaded again;"
                + " these values will not be tried again until they change");
        cache.put(
            key,
            cache.variables(key).orElse(variables),
            entry.map(AgentCache.Entry::applied).orElse(null),
            digest);
        cache.save();
        failed.put(key, variables.holdings());
        report();
        return true;
      }
    }
    cache.put(key, variables, digest, null);
    cache.save();
    say(key + ": applied" + (output.reload().isPresent() ? " (reloaded, checked)" : ""));
    holding(key, variables);
    return true;
  }

  /**
   * Notes the versions output {@code key} now delivers and reports what the agent holds: for each
   * secret the oldest version an output still uses, and every version an output delivers. Values
   * from the local cache carry no version numbers and change nothing.
   */
  private void holding(String key, Variables variables) {
    boolean recovered = failed.remove(key) != null;
    if (variables.holdings().isEmpty()) {
      if (recovered) {
        report();
      }
      return;
    }
    held.put(key, variables.holdings());
    report();
  }

  /**
   * Reports what the outputs hold, merged by secret, with the newest version a failed reload or
   * check was of, for each secret it failed on (the status board and the notifier show it).
   */
  private void report() {
    Map<String, Integer> failures = new java.util.HashMap<>();
    for (List<Variables.Holding> list : failed.values()) {
      for (Variables.Holding h : list) {
        failures.merge(h.secret(), h.using(), Math::max);
      }
    }
    Map<String, Variables.Holding> merged = new java.util.LinkedHashMap<>();
    for (List<Variables.Holding> list : held.values()) {
      for (Variables.Holding h : list) {
        Variables.Holding old = merged.get(h.secret());
        if (old == null) {
          merged.put(h.secret(), h);
        } else {
          Set<Integer> accepting = new LinkedHashSet<>(old.accepting());
          accepting.addAll(h.accepting());
          merged.put(
              h.secret(),
              new Variables.Holding(
                  h.secret(), Math.min(old.using(), h.using()), List.copyOf(accepting)));
        }
      }
    }
    registration.hold(List.copyOf(merged.values()), failures);
  }

  private boolean check(AgentConfig.Output output) throws InterruptedException {
    if (output.check().isEmpty()) {
      return true;
    }
    AgentConfig.Check check = output.check().get();
    String key = output.path().toString();
    if (!check.command().isEmpty()) {
      return runCommand(key, "check", check.command(), check.timeout());
    }
    long end = System.nanoTime() + check.timeout().toNanos();
    int last = -1;
    while (System.nanoTime() < end) {
      try {
        HttpResponse<Void> r =
            http.send(
                HttpRequest.newBuilder(check.http().get()).timeout(check.timeout()).GET().build(),
                HttpResponse.BodyHandlers.discarding());
        last = r.statusCode();
        if (last == 200) {
          return true;
        }
      } catch (java.io.IOException e) {
        last = -1;
      }
      Thread.sleep(250);
    }
    say(key + ": check " + check.http().get() + " answered " + (last < 0 ? "nothing" : last));
    return false;
  }

  /** Runs {@code command} (no shell, no token in its environment) to its end or its timeout. */
  private boolean runCommand(String key, String what, List<String> command, Duration timeout)
      throws InterruptedException {
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .redirectOutput(ProcessBuilder.Redirect.INHERIT)
            .redirectError(ProcessBuilder.Redirect.INHERIT);
    builder.environment().keySet().removeIf(k -> k.startsWith("KEYTURN_TOKEN"));
    Process p;
    try {
      p = builder.start();
    } catch (java.io.IOException e) {
      say(key + ": cannot run the " + what + " command " + command.get(0));
      return false;
    }
    if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      say(key + ": the " + what + " command did not end within " + timeout.toSeconds() + " s");
      return false;
    }
    if (p.exitValue() != 0) {
      say(key + ": the " + what + " command exited with " + p.exitValue());
      return false;
    }
    return true;
  }

  private void markDirty(AgentConfig.Output output) {
    synchronized (lock) {
      dirty.add(output);
      lock.notifyAll();
    }
  }

  @Override
  public void version(String id, VersionEvent event) {
    for (AgentConfig.Output output : config.outputs()) {
      if (output.mapping().covers(event.name())) {
        markDirty(output);
      }
    }
  }

  @Override
  public void reset(String id) {
    config.outputs().forEach(this::markDirty);
  }

  @Override
  public void reconnected() {
    config.outputs().forEach(this::markDirty);
  }

  @Override
  public void ready() {
    answered.countDown();
  }

  @Override
  public void disconnected(KeyturnClientException cause, Duration retryIn) {
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

  private void say(String line) {
    io.err().println("keyturn agent: " + line);
  }
}
