package dev.keyturn.core;

import static java.util.Objects.requireNonNull;

import dev.keyturn.core.spi.RotationStore;
import dev.keyturn.core.spi.RotationStore.RuleEntry;
import dev.keyturn.core.spi.StoredSecret;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * The status board: one row per secret under a prefix, with or without a rotation rule, so that it
 * is the whole inventory (runbook B's schedule table). Shared by the API, the CLI and the
 * dashboard; callers say which names the viewer may see. Thread-safe.
 */
public final class StatusBoard {
  /** How long past its due date a rule is {@code due} before it is {@code overdue}. */
  public static final Duration DUE_TOLERANCE = Duration.ofHours(1);

  /** The most rows one board shows. */
  public static final int MAX_ROWS = 10_000;

  private final RotationStore rotations;
  private final SecretService secrets;
  private final Clock clock;
  private final Function<RotationRule, Optional<String>> whyNotRunnable;

  /** A board on which no rule is suspended. */
  public StatusBoard(RotationStore rotations, SecretService secrets, Clock clock) {
    this(rotations, secrets, clock, rule -> Optional.empty());
  }

  /**
   * @param whyNotRunnable why a rule cannot run on this server ({@link
   *     RotationEngine#whyNotRunnable}); such a rule's row is {@code invalid}
   */
  public StatusBoard(
      RotationStore rotations,
      SecretService secrets,
      Clock clock,
      Function<RotationRule, Optional<String>> whyNotRunnable) {
    this.rotations = requireNonNull(rotations, "rotations");
    this.secrets = requireNonNull(secrets, "secrets");
    this.clock = requireNonNull(clock, "clock");
    this.whyNotRunnable = requireNonNull(whyNotRunnable, "whyNotRunnable");
  }

  /**
   * Where a secret stands; {@code INVALID}: its rule is suspended (cannot run on this server);
   * {@code WAITING}: its rotation waits for a node whose commands match, and no live node has them
   * ({@code rotation show} names the digest), or for consumers ({@code --propagation consumers:D},
   * alternating users), or a previous version past its grace window is kept from retirement by live
   * consumers that still use it; {@link Row#waitingFor} names those consumers.
   */
  public enum State {
    INVALID,
    OK,
    DUE,
    OVERDUE,
    ROTATING,
    WAITING,
    FAILED,
    NO_RULE,
    /** Every version retired (keyturn rm): its rule, if any, waits until a value is put again. */
    DELETED;

    /** {@code ok}, {@code due}, ..., {@code no rule}. */
    public String wireName() {
      return name().toLowerCase(Locale.ROOT).replace('_', ' ');
    }
  }

  /**
   * One secret on the board.
   *
   * @param rule absent for a secret without a rotation rule
   * @param lastRotated when the current version was made, or the time recorded on adoption
   * @param graceUntil until when the newest previous version is accepted
   * @param rotationId the running rotation, else the last one
   * @param waitingFor the consumers that a {@code waiting} row waits for, in id order
   * @param failedConsumers the live consumers that could not apply a version of it, in id order
   * @param secret the secret's metadata as the row was computed from it; empty for a rule whose
   *     secret does not exist
   */
  public record Row(
      SecretName name,
      Optional<RotationRule> rule,
      Optional<Instant> lastRotated,
      Optional<Instant> nextDue,
      Optional<Instant> graceUntil,
      State state,
      Optional<String> rotationId,
      List<String> waitingFor,
      List<Failure> failedConsumers,
      Optional<StoredSecret> secret) {
    public Row {
      waitingFor = List.copyOf(waitingFor);
      failedConsumers = List.copyOf(failedConsumers);
      requireNonNull(secret, "secret");
    }

    /** A row without the secret's metadata. */
    public Row(
        SecretName name,
        Optional<RotationRule> rule,
        Optional<Instant> lastRotated,
        Optional<Instant> nextDue,
        Optional<Instant> graceUntil,
        State state,
        Optional<String> rotationId,
        List<String> waitingFor,
        List<Failure> failedConsumers) {
      this(
          name,
          rule,
          lastRotated,
          nextDue,
          graceUntil,
          state,
          rotationId,
          waitingFor,
          failedConsumers,
          Optional.empty());
    }

    /** A row where no consumer failed to apply a version. */
    public Row(
        SecretName name,
        Optional<RotationRule> rule,
        Optional<Instant> lastRotated,
        Optional<Instant> nextDue,
        Optional<Instant> graceUntil,
        State state,
        Optional<String> rotationId,
        List<String> waitingFor) {
      this(name, rule, lastRotated, nextDue, graceUntil, state, rotationId, waitingFor, List.of());
    }

    /** A row that waits for no consumer. */
    public Row(
        SecretName name,
        Optional<RotationRule> rule,
        Optional<Instant> lastRotated,
        Optional<Instant> nextDue,
        Optional<Instant> graceUntil,
        State state,
        Optional<String> rotationId) {
      this(name, rule, lastRotated, nextDue, graceUntil, state, rotationId, List.of());
    }
  }

  /**
   * A live consumer that could not apply version {@code failed} of a secret (an agent whose reload
   * or health check failed) and still uses {@code using}.
   */
  public record Failure(String consumer, int failed, int using) {
    public Failure {
      requireNonNull(consumer, "consumer");
    }
  }

  /** The rows under {@code prefix} that {@code visible} lets the viewer see, in name order. */
  public List<Row> rows(String prefix, Predicate<SecretName> visible) {
    requireNonNull(prefix, "prefix");
    requireNonNull(visible, "visible");
    TreeMap<String, Optional<RuleEntry>> names = new TreeMap<>();
    for (RuleEntry entry : rotations.rules(prefix, MAX_ROWS)) {
      names.put(entry.rule().secret().value(), Optional.of(entry));
    }
    Optional<String> after = Optional.empty();
    while (names.size() < MAX_ROWS) {
      List<StoredSecret> page = secrets.list(prefix, after, 1000);
      for (StoredSecret s : page) {
        names.putIfAbsent(s.name().value(), Optional.empty());
      }
      if (page.size() < 1000) {
        break;
      }
      after = Optional.of(page.get(page.size() - 1).name().value());
    }
    Instant now = clock.instant();
    Map<SecretName, List<Failure>> failures = failures(now);
    List<Row> rows = new ArrayList<>();
    names.forEach((name, entry) -> {
      SecretName secret = SecretName.of(name);
      if (rows.size() < MAX_ROWS && visible.test(secret)) {
        rows.add(row(secret, entry, now, failures.getOrDefault(secret, List.of())));
      }
    });
    return rows;
  }

  /** The most names one {@link #window} reads. */
  public static final int MAX_NAMES = 1_000_000;

  /**
   * One page of the board.
   *
   * @param rows the page's rows, in name order
   * @param next the name to give as {@code after} for the next page; empty on the last page
   * @param total how many rows the whole listing has (the names the viewer may see, in a tree
   *     listing only those directly in the folder)
   * @param folders in a tree listing, the folders one level below the prefix, by name, each with
   *     how many names below it the viewer may see; empty otherwise
   */
  public record Window(
      List<Row> rows, Optional<String> next, int total, SortedMap<String, Integer> folders) {
    public Window {
      rows = List.copyOf(rows);
      requireNonNull(next, "next");
      folders = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(folders));
    }
  }

  /**
   * The rows of at most {@code limit} names after {@code after} under {@code prefix} that {@code
   * visible} lets the viewer see, in name order, computed for those names only: the names come from
   * the name index and the rule listing, so a page costs its own rows whatever the folder holds.
   * With {@code tree}, {@code prefix} is a folder (empty, or ending in {@code /}): the rows are the
   * secrets directly in it, and the folders below it are counted instead.
   *
   * @throws KeyturnException.InvalidInput for a tree listing of a prefix that is not a folder, or a
   *     limit outside 1 to {@link #MAX_ROWS}
   */
  public Window window(
      String prefix,
      Predicate<SecretName> visible,
      boolean tree,
      Optional<String> after,
      int limit) {
    requireNonNull(prefix, "prefix");
    requireNonNull(visible, "visible");
    requireNonNull(after, "after");
    if (tree && !prefix.isEmpty() && !prefix.endsWith("/")) {
      throw new KeyturnException.InvalidInput("a tree listing's prefix is a folder: end it with /");
    }
    if (limit < 1 || limit > MAX_ROWS) {
      throw new KeyturnException.InvalidInput("limit must be between 1 and " + MAX_ROWS);
    }
    List<SecretName> names = names(prefix);
    TreeMap<String, Integer> folders = new TreeMap<>();
    List<SecretName> shown = new ArrayList<>();
    boolean more = false;
    int total = 0;
    for (SecretName secret : names) {
      if (!visible.test(secret)) {
        continue;
      }
      String name = secret.value();
      int slash = tree ? name.indexOf('/', prefix.length()) : -1;
      if (slash >= 0) {
        folders.merge(name.substring(prefix.length(), slash), 1, Integer::sum);
        continue;
      }
      total++;
      if (after.isPresent() && name.compareTo(after.get()) <= 0) {
        continue;
      }
      if (shown.size() < limit) {
        shown.add(secret);
      } else {
        more = true;
      }
    }
    Instant now = clock.instant();
    Map<SecretName, List<Failure>> failures = shown.isEmpty() ? Map.of() : failures(now);
    List<Row> rows = new ArrayList<>();
    for (SecretName name : shown) {
      rows.add(row(name, rotations.rule(name), now, failures.getOrDefault(name, List.of())));
    }
    return new Window(
        rows,
        more ? Optional.of(shown.get(shown.size() - 1).value()) : Optional.empty(),
        total,
        folders);
  }

  /**
   * The names of the secrets and of the rules under {@code prefix} (at most {@link #MAX_NAMES}), in
   * name order, each once: both lists come sorted from their indexes and are merged.
   */
  private List<SecretName> names(String prefix) {
    List<SecretName> ruled = rotations.ruleNames(prefix, MAX_ROWS);
    List<SecretName> out = new ArrayList<>();
    int r = 0;
    Optional<String> cursor = Optional.empty();
    while (out.size() < MAX_NAMES) {
      List<SecretName> page = secrets.names(prefix, cursor, 10_000);
      for (SecretName n : page) {
        while (r < ruled.size() && ruled.get(r).value().compareTo(n.value()) < 0) {
          out.add(ruled.get(r++));
        }
        if (r < ruled.size() && ruled.get(r).value().equals(n.value())) {
          r++;
        }
        out.add(n);
      }
      if (page.size() < 10_000) {
        break;
      }
      cursor = Optional.of(page.get(page.size() - 1).value());
    }
    while (r < ruled.size() && out.size() < MAX_NAMES) {
      out.add(ruled.get(r++));
    }
    return out;
  }

  /** The failures live consumers report, by secret, each list in consumer id order. */
  private Map<SecretName, List<Failure>> failures(Instant now) {
    Map<SecretName, List<Failure>> out = new HashMap<>();
    for (Consumer c : secrets.failingConsumers()) {
      for (Consumer.Holding h : c.holdings()) {
        if (h.failed() > 0) {
          out.computeIfAbsent(h.secret(), k -> new ArrayList<>())
              .add(new Failure(c.id(), h.failed(), h.using()));
        }
      }
    }
    return out;
  }

  private Row row(
      SecretName name, Optional<RuleEntry> entry, Instant now, List<Failure> failedConsumers) {
    Optional<StoredSecret> secret;
    try {
      secret = Optional.of(secrets.describe(name));
    } catch (KeyturnException.NotFound e) {
      secret = Optional.empty();
    }
    Optional<Version> current = secret.flatMap(s -> s.versions().current());
    Holds holds = secret.isPresent() ? secrets.holds(name) : Holds.NONE;
    Optional<Rotation> active = rotations.active(name);
    Optional<String> consumerWait =
        active.flatMap(Rotation::reason).filter(r -> r.startsWith(ConsumerWaits.PREFIX));
    List<String> waitingFor =
        consumerWait.isPresent() ? ConsumerWaits.laggards(consumerWait.get()) : holds.laggards();
    Optional<Instant> graceUntil =
        secret.flatMap(s -> s.versions().newestPrevious(now)).flatMap(Version::acceptUntil);
    Optional<RotationRule> rule = entry.map(RuleEntry::rule);
    Optional<Instant> lastRotated =
        current.map(v -> rule.map(r -> r.lastRotatedAt(v)).orElse(v.createdAt()));
    List<Rotation> last = rotations.history(name, 1);
    Optional<Instant> nextDue = entry.flatMap(RuleEntry::nextDue);
    State state;
    if (rule.flatMap(whyNotRunnable).isPresent()) {
      state = State.INVALID;
    } else if (active.isPresent()
        && active.get().reason().filter(r -> r.startsWith(CommandWaits.PREFIX)).isPresent()) {
      state = State.WAITING;
    } else if (!waitingFor.isEmpty()) {
      state = State.WAITING;
    } else if (active.isPresent()) {
      state = State.ROTATING;
    } else if (secret.isPresent() && secret.get().versions().allRetired()) {
      state = State.DELETED;
    } else if (entry.isEmpty()) {
      state = State.NO_RULE;
    } else if (!last.isEmpty() && last.get(0).state() == RotationState.FAILED) {
      state = State.FAILED;
    } else if (nextDue.map(d -> !d.plus(DUE_TOLERANCE).isAfter(now)).orElse(false)) {
      state = State.OVERDUE;
    } else if (nextDue.map(d -> !d.isAfter(now)).orElse(false)) {
      state = State.DUE;
    } else {
      state = State.OK;
    }
    return new Row(
        name,
        rule,
        lastRotated,
        nextDue,
        graceUntil,
        state,
        active.map(Rotation::id).or(() -> last.stream().findFirst().map(Rotation::id)),
        state == State.WAITING ? waitingFor : List.of(),
        failedConsumers,
        secret);
  }
}
