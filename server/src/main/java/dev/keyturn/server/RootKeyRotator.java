package dev.keyturn.server;

import static java.util.Objects.requireNonNull;

import dev.keyturn.api.RootKeyStatus;
import dev.keyturn.core.Caller;
import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.NodeRecord;
import dev.keyturn.core.RootKeyChange;
import dev.keyturn.core.audit.AuditChain;
import dev.keyturn.core.crypto.Envelope;
import dev.keyturn.core.crypto.RootKey;
import dev.keyturn.core.spi.AuditEvent;
import dev.keyturn.store.JdbcStore;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a root key rotation ({@code POST /v1/root-key/rotate}). On a server whose key comes from
 * {@code DATA/root.key} it writes the new key to {@code root.key.new}, records the rotation in the
 * store (audited {@code root-key.rotate.start}), from then on wraps and seals the audit chain with
 * the new key while rows wrapped by either key open, rewraps every data key in batches of {@link
 * #BATCH} on a thread of its own, and ends in one transaction (metadata key rewrapped, earlier
 * audit chain keys stored wrapped by the new key, the new key id in force, audited {@code
 * root-key.rotate.end}); then {@code root.key} becomes {@code root.key.old-ID} and {@code
 * root.key.new} becomes {@code root.key}. Each batch is a transaction, and a row names its wrapping
 * key in its ciphertext's header, so a crash at any moment loses nothing: the next start finds the
 * rotation recorded, opens with both files, and resumes ({@link #resume}).
 *
 * <p>A share-held root key (a sealed start, {@code --unseal-shares K}) is rotated in two requests.
 * The first makes the new key, keeps it in memory only, and answers its N shares (threshold K, the
 * server's own), once; nothing is recorded, and the old key alone is in force. The second ({@link
 * #confirm}) brings back K of those shares: only shares that rebuild the new key begin the
 * rotation, so an operator whose terminal died before the shares were saved has lost nothing (the
 * next rotate makes another key). From the beginning on the store holds each of the two keys
 * wrapped by the other ({@link RootKeyChange#KEYS_SETTING}), so a server restarted mid-rotation is
 * unsealed by the shares of either key and resumes; the last transaction removes them, after which
 * the old key's shares open nothing. No key or share is ever written to a file.
 *
 * <p>Thread-safe. Never holds a key in a log line, audit record or answer.
 */
final class RootKeyRotator implements AutoCloseable {
  static final int BATCH = 500;
  private static final int PAGE_ATTEMPTS = 5;
  static final String START_ACTION = "root-key.rotate.start";
  static final String END_ACTION = "root-key.rotate.end";
  private static final Logger log = LoggerFactory.getLogger(RootKeyRotator.class);

  /** Where the running server's root key came from. */
  enum Source {
    FILE,
    ENVIRONMENT,
    SHARES
  }

  private final JdbcStore store;
  private final Envelope envelope;
  private final AuditChain chain;
  private final Path dataDir;
  private final Source source;
  private final Runnable dropCache;
  private final Clock clock;
  private final SecureRandom random;
  private final String node;
  private final int threshold;

  private Optional<RootKeyChange> change = Optional.empty();
  private String state = "idle";
  private String note = "";
  private String keyFile = "";
  private long rewrapped;
  private RootKey pending;
  private Thread worker;
  private volatile boolean closed;

  RootKeyRotator(
      JdbcStore store,
      Envelope envelope,
      AuditChain chain,
      Path dataDir,
      Source source,
      Runnable dropCache,
      Clock clock,
      SecureRandom random,
      String node,
      int threshold) {
    this.store = requireNonNull(store, "store");
    this.envelope = requireNonNull(envelope, "envelope");
    this.chain = requireNonNull(chain, "chain");
    this.dataDir = requireNonNull(dataDir, "dataDir");
    this.source = requireNonNull(source, "source");
    this.dropCache = requireNonNull(dropCache, "dropCache");
    this.clock = requireNonNull(clock, "clock");
    this.random = requireNonNull(random, "random");
    this.node = requireNonNull(node, "node");
    this.threshold = threshold;
  }

  /** Continues the rotation {@code recorded} that a start opened with both keys for. */
  synchronized void resume(RootKeyChange recorded) {
    change = Optional.of(recorded);
    keyFile = source == Source.SHARES ? "" : dataDir.resolve(RootKeyFiles.NEXT_FILE).toString();
    startWorker();
  }

  /**
   * Starts a rotation, or resumes the one recorded (after a failure, or a rotation that wrote its
   * key file and stopped before recording it). Returns at once; {@link #status} tells the progress.
   * For a share-held key with no rotation recorded, makes a new key and answers its {@code shares}
   * shares instead; {@link #confirm} begins the rotation.
   *
   * @throws KeyturnException.Conflict when the key comes from the environment, or other nodes run
   * @throws KeyturnException.InvalidInput for {@code shares} given for a file-held key, missing or
   *     out of range for a share-held one
   */
  synchronized RootKeyStatus start(Caller caller, String client, OptionalInt shares) {
    requireNonNull(caller, "caller");
    requireNonNull(shares, "shares");
    if (closed) {
      throw new KeyturnException.Unavailable("the server is closing", null);
    }
    if ("rotating".equals(state)) {
      return status();
    }
    refuseUnsupportedSource(shares);
    refuseOtherNodes();
    Optional<RootKeyChange> recorded =
        RootKeyChange.parse(store.settings().setting(RootKeyChange.SETTING));
    if (recorded.isPresent()) {
      if (!envelope.rootKeyId().equals(recorded.get().to())) {
        throw new KeyturnException.Conflict(
            "a root key rotation from "
                + recorded.get().from()
                + " to "
                + recorded.get().to()
                + " is recorded, but this server does not hold the new key: restart it with"
                + " DATA/root.key and DATA/root.key.new");
      }
      change = recorded;
      startWorker();
      return status();
    }
    if (source == Source.SHARES) {
      return issueShares(shares.getAsInt());
    }
    RootKey next = RootKeyFiles.readNext(dataDir).orElse(null);
    if (next != null && (next.id().equals(envelope.rootKeyId()) || envelope.holds(next.id()))) {
      next.destroy();
      throw new KeyturnException.Conflict(
          dataDir.resolve(RootKeyFiles.NEXT_FILE)
              + " holds the key in force: move it away and try again");
    }
    if (next == null) {
      next = RootKey.generate(random);
      try {
        RootKeyFiles.writeNext(dataDir, next);
      } catch (RuntimeException e) {
        next.destroy();
        throw e;
      }
    }
    begin(
        caller, client, next, Optional.empty(), "the new key is in DATA/" + RootKeyFiles.NEXT_FILE);
    return status();
  }

  /**
   * Makes a new root key for a share-held rotation and answers its {@code count} shares, once;
   * replaces (and zeroes) a new key made before and not confirmed.
   */
  private RootKeyStatus issueShares(int count) {
    RootKey next = RootKey.generate(random);
    List<String> shares;
    try {
      shares = next.split(count, threshold, random);
    } catch (RuntimeException e) {
      next.destroy();
      throw e;
    }
    if (pending != null) {
      pending.destroy();
    }
    pending = next;
    state = "awaiting-confirmation";
    change = Optional.of(new RootKeyChange(envelope.rootKeyId(), next.id()));
    rewrapped = 0;
    keyFile = "";
    note =
        "save the "
            + count
            + " shares, then confirm with any "
            + threshold
            + " of them ('keyturn root-key rotate --confirm'); until then the old key alone is in"
            + " force";
    log.info(
        "root key {} made for a rotation from {}; its {} shares (threshold {}) went to the caller;"
            + " awaiting confirmation",
        next.id(),
        envelope.rootKeyId(),
        count,
        threshold);
    RootKeyStatus answer = status();
    return new RootKeyStatus(
        answer.rootKeyId(),
        answer.state(),
        answer.from(),
        answer.to(),
        answer.rewrapped(),
        answer.keyFile(),
        answer.note(),
        shares,
        threshold);
  }

  /**
   * Begins the rotation of a share-held root key to the new key {@link #start} made, once {@code
   * shares} rebuild it; returns at once, as {@link #start}.
   *
   * @throws KeyturnException.Conflict when no new key awaits confirmation
   * @throws KeyturnException.InvalidInput when the shares do not rebuild it
   */
  synchronized RootKeyStatus confirm(Caller caller, String client, List<String> shares) {
    requireNonNull(caller, "caller");
    requireNonNull(shares, "shares");
    if (closed) {
      throw new KeyturnException.Unavailable("the server is closing", null);
    }
    if (source == Source.SHARES && shares.size() < threshold) {
      throw new KeyturnException.InvalidInput(
          "give at least " + threshold + " of the new key's shares, not " + shares.size());
    }
    if (source != Source.SHARES || pending == null) {
      throw new KeyturnException.Conflict(
          "no new root key awaits confirmation: 'keyturn root-key rotate --shares N' on a server"
              + " unsealed with shares makes one");
    }
    RootKey rebuilt;
    try {
      rebuilt = RootKey.fromShares(shares);
    } catch (KeyturnException.InvalidInput e) {
      throw new KeyturnException.InvalidInput(
          "these shares do not rebuild the new root key " + pending.id());
    }
    try {
      if (!rebuilt.id().equals(pending.id())) {
        throw new KeyturnException.InvalidInput(
            "these shares do not rebuild the new root key " + pending.id());
      }
    } finally {
      rebuilt.destroy();
    }
    refuseOtherNodes();
    RootKey next = pending;
    List<byte[]> wrapped = envelope.crossWrap(next);
    Base64.Encoder b64 = Base64.getEncoder();
    pending = null;
    begin(
        caller,
        client,
        next,
        Optional.of(b64.encodeToString(wrapped.get(0)) + " " + b64.encodeToString(wrapped.get(1))),
        "the new key is held by its shares only; until the end the old key's shares unseal too");
    return status();
  }

  /**
   * Records the rotation to {@code next} (owned from now on), audited, and starts rewrapping.
   * {@code wrappedKeys}: the two keys wrapped by each other, for a share-held key.
   */
  private void begin(
      Caller caller, String client, RootKey next, Optional<String> wrappedKeys, String where) {
    RootKeyChange begun = new RootKeyChange(envelope.rootKeyId(), next.id());
    try {
      store.beginRootKeyRotation(
          begun,
          wrappedKeys,
          new AuditEvent(
              clock.instant(),
              caller.tokenId(),
              client,
              START_ACTION,
              Optional.empty(),
              Optional.empty(),
              "ok",
              "root key rotation from " + begun.from() + " to " + begun.to() + " began; " + where));
    } catch (RuntimeException e) {
      next.destroy();
      throw e;
    }
    // Recorded: from now on a start opens with both keys, so the new one may wrap and seal.
    envelope.beginWrapping(next);
    chain.sealWith(next);
    log.info("root key rotation from {} to {} began", begun.from(), begun.to());
    change = Optional.of(begun);
    keyFile = wrappedKeys.isPresent() ? "" : dataDir.resolve(RootKeyFiles.NEXT_FILE).toString();
    rewrapped = 0;
    startWorker();
  }

  synchronized RootKeyStatus status() {
    return new RootKeyStatus(
        envelope.rootKeyId(),
        state,
        change.map(RootKeyChange::from).orElse(""),
        change.map(RootKeyChange::to).orElse(""),
        rewrapped,
        keyFile,
        note,
        List.of(),
        source == Source.SHARES ? threshold : 0);
  }

  private void refuseUnsupportedSource(OptionalInt shares) {
    switch (source) {
      case FILE -> {
        if (shares.isPresent()) {
          throw new KeyturnException.InvalidInput(
              "shares: this server's root key comes from DATA/root.key, and its rotation writes"
                  + " DATA/root.key.new; split that key with 'keyturn root-key split' if you want"
                  + " shares");
        }
      }
      case ENVIRONMENT ->
          throw new KeyturnException.Conflict(
              "the root key comes from KEYTURN_ROOT_KEY: a rotation writes its new key to"
                  + " DATA/root.key.new and needs the server started from DATA/root.key");
      case SHARES -> {
        int most = dev.keyturn.core.crypto.Shamir.MAX_SHARES;
        if (shares.isEmpty() || shares.getAsInt() < threshold || shares.getAsInt() > most) {
          throw new KeyturnException.InvalidInput(
              "shares: the root key was rebuilt from shares; give how many new shares to make ("
                  + threshold
                  + " to "
                  + most
                  + "; any "
                  + threshold
                  + ", the server's --unseal-shares, rebuild it)");
        }
      }
    }
  }

  private void refuseOtherNodes() {
    List<String> others =
        store.rotations().nodes(clock.instant().minus(NodeRecord.LIVE)).stream()
            .map(NodeRecord::id)
            .filter(id -> !id.equals(node))
            .toList();
    if (!others.isEmpty()) {
      throw new KeyturnException.Conflict(
          "other nodes share this store ("
              + String.join(", ", others)
              + "): they hold the old root key only; stop them, rotate on one node, then start"
              + " them with its new DATA/root.key");
    }
  }

  private void startWorker() {
    state = "rotating";
    note = "";
    worker = Thread.ofPlatform().name("keyturn-root-key-rotation").daemon().start(this::run);
  }

  private void run() {
    RootKeyChange running;
    synchronized (this) {
      running = change.orElseThrow();
    }
    try {
      while (!closed) {
        long count = pass();
        if (closed) {
          return;
        }
        if (count == 0 && finish(running)) {
          return;
        }
      }
    } catch (RuntimeException e) {
      if (closed) {
        return;
      }
      String why = SafeFailure.describe(e);
      log.error("root key rotation to {} stopped: {}", running.to(), why);
      synchronized (this) {
        state = "failed";
        note =
            why
                + " (the rotation stays recorded; reads and writes go on with both keys;"
                + " 'keyturn root-key rotate' resumes it)";
      }
    }
  }

  /** Rewraps every data key not wrapped by the new key; returns how many it rewrapped. */
  private long pass() {
    long after = 0;
    long count = 0;
    while (!closed) {
      JdbcStore.RewrapPage page = rewrap(after);
      count += page.rewrapped();
      synchronized (this) {
        rewrapped += page.rewrapped();
      }
      after = page.lastId();
      if (page.read() < BATCH) {
        break;
      }
    }
    return count;
  }

  /**
   * One page, tried again a few times when the store fails (on PostgreSQL a unit of work that locks
   * several secrets, such as a restore, may deadlock with a page and one of the two is rolled
   * back). An integrity failure is not tried again.
   */
  private JdbcStore.RewrapPage rewrap(long after) {
    for (int attempt = 1; ; attempt++) {
      try {
        return store.rewrapDataKeys(after, BATCH, envelope);
      } catch (KeyturnException.Unavailable e) {
        if (attempt >= PAGE_ATTEMPTS || closed) {
          throw e;
        }
        log.warn("root key rotation: a page failed ({}); trying it again", SafeFailure.describe(e));
        try {
          Thread.sleep(200L * attempt);
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          throw e;
        }
      }
    }
  }

  private boolean finish(RootKeyChange running) {
    String auditKeys = auditKeys();
    long done;
    synchronized (this) {
      done = rewrapped;
    }
    boolean ended =
        store.finishRootKeyRotation(
            running,
            envelope,
            auditKeys,
            new AuditEvent(
                clock.instant(),
                "server",
                "engine",
                END_ACTION,
                Optional.empty(),
                Optional.empty(),
                "ok",
                "root key rotation from "
                    + running.from()
                    + " to "
                    + running.to()
                    + " ended: every data key and the metadata key are wrapped by "
                    + running.to()
                    + " ("
                    + done
                    + " data keys rewrapped by this server)"));
    if (!ended) {
      return false;
    }
    if (source == Source.SHARES) {
      dropCache.run();
      log.info(
          "root key rotation from {} to {} ended; the old key's shares no longer unseal",
          running.from(),
          running.to());
      synchronized (this) {
        state = "idle";
        keyFile = "";
        note = "the old key's shares no longer unseal this store: destroy them";
      }
      return true;
    }
    Path retired = RootKeyFiles.finish(dataDir, running.from());
    dropCache.run();
    log.info(
        "root key rotation from {} to {} ended; the old key is kept in {}",
        running.from(),
        running.to(),
        retired);
    synchronized (this) {
      state = "idle";
      keyFile = dataDir.resolve(Bootstrap.ROOT_KEY_FILE).toString();
      note =
          "the old key is in "
              + retired
              + "; delete it once no copy of the database from before the rotation needs it";
    }
    return true;
  }

  /** Every audit chain key but the sealing one, wrapped by the new root key, one a line. */
  private String auditKeys() {
    StringBuilder out = new StringBuilder();
    for (String id : chain.keyIds().stream().sorted().toList()) {
      if (id.equals(chain.sealingKeyId())) {
        continue;
      }
      byte[] key = chain.chainKey(id);
      try {
        out.append(id)
            .append(' ')
            .append(Base64.getEncoder().encodeToString(envelope.wrapAuditKey(id, key)))
            .append('\n');
      } finally {
        Arrays.fill(key, (byte) 0);
      }
    }
    return out.toString();
  }

  /** Stops the rotation's thread (seal, shutdown); the rotation stays recorded. */
  @Override
  public void close() {
    Thread running;
    synchronized (this) {
      closed = true;
      running = worker;
      if (pending != null) {
        pending.destroy();
        pending = null;
      }
    }
    if (running != null) {
      try {
        running.join(30_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
