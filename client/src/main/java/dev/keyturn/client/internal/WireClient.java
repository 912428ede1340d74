package dev.keyturn.client.internal;

import static java.util.Objects.requireNonNull;

import dev.keyturn.api.AuditHeadResponse;
import dev.keyturn.api.AuditListResponse;
import dev.keyturn.api.AuditVerifyResponse;
import dev.keyturn.api.BundleResponse;
import dev.keyturn.api.DeleteResponse;
import dev.keyturn.api.ErrorResponse;
import dev.keyturn.api.FingerprintRequest;
import dev.keyturn.api.FingerprintResponse;
import dev.keyturn.api.HealthResponse;
import dev.keyturn.api.HistoryResponse;
import dev.keyturn.api.HygieneResponse;
import dev.keyturn.api.KeyringResponse;
import dev.keyturn.api.MetadataResponse;
import dev.keyturn.api.PutSecretRequest;
import dev.keyturn.api.RestoreResponse;
import dev.keyturn.api.RotateRequest;
import dev.keyturn.api.RotationInfo;
import dev.keyturn.api.RotationListResponse;
import dev.keyturn.api.RuleBody;
import dev.keyturn.api.RuleResponse;
import dev.keyturn.api.SecretListResponse;
import dev.keyturn.api.SecretValueResponse;
import dev.keyturn.api.SetupResponse;
import dev.keyturn.api.StageRequest;
import dev.keyturn.api.StatusResponse;
import dev.keyturn.api.TokenCreateRequest;
import dev.keyturn.api.TokenCreated;
import dev.keyturn.api.TokenInfo;
import dev.keyturn.api.TokenListResponse;
import dev.keyturn.api.TokenRenewed;
import dev.keyturn.api.WhoAmIResponse;
import dev.keyturn.api.WireJson;
import dev.keyturn.api.WriteResponse;
import dev.keyturn.client.KeyturnClientException;
import dev.keyturn.client.KeyturnConnectionException;
import dev.keyturn.client.KeyturnInvalidRequestException;
import dev.keyturn.keyring.FernetKeyring;
import dev.keyturn.keyring.HmacKeyring;
import dev.keyturn.keyring.JwtKeyring;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/**
 * The Java client of the Keyturn HTTP API. Thread-safe; build one and share it. Errors are {@link
 * KeyturnClientException} subclasses, one per error code. The token is sent only in the {@code
 * Authorization} header and appears in no message or {@code toString}.
 *
 * <p>{@link #close} stops the JDK client's selector thread (on Java 21 and later): a program that
 * exits soon after its last request should close the client first, since the JVM waits about 300 ms
 * at exit for a thread that is in native code, as that thread is while it waits for events.
 */
public final class WireClient implements AutoCloseable {
  /** Reads answers ignoring fields this client does not know (a newer server's). */
  static final JsonMapper LENIENT =
      WireJson.mapper()
          .rebuild()
          .disable(tools.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .build();

  private final URI address;
  private final Optional<String> token;
  private final Duration timeout;
  private final HttpClient http;
  private final JsonMapper json = WireJson.mapper();
  private final JsonMapper reader;

  private WireClient(Builder builder) {
    this.address = builder.address;
    this.token = builder.token;
    this.timeout = builder.timeout;
    this.reader = builder.ignoreUnknownFields ? LENIENT : json;
    HttpClient.Builder http = HttpClient.newBuilder().connectTimeout(builder.timeout);
    builder.sslContext.ifPresent(http::sslContext);
    this.http = http.build();
  }

  public static Builder builder() {
    return new Builder();
  }

  public URI address() {
    return address;
  }

  /**
   * Stops the underlying HTTP client once its requests have ended (Java 21 and later; earlier JDKs'
   * client has no close and keeps its thread until the JVM exits). The client is unusable
   * afterwards.
   */
  @Override
  public void close() {
    Object client = http;
    if (client instanceof AutoCloseable closeable) {
      try {
        closeable.close();
      } catch (Exception e) {
        throw new IllegalStateException("cannot close the HTTP client", e);
      }
    }
  }

  public HealthResponse health() {
    return send("GET", "/v1/health", null, HealthResponse.class);
  }

  /** Submits one root key share to a sealed server ({@code POST /v1/unseal}); needs no token. */
  public dev.keyturn.api.SealStatus unseal(String share) {
    return send(
        "POST",
        "/v1/unseal",
        new dev.keyturn.api.UnsealRequest(requireNonNull(share, "share")),
        dev.keyturn.api.SealStatus.class);
  }

  /**
   * Seals the server ({@code POST /v1/seal}, {@code admin:*}): it drops its root key and every data
   * key from memory until unsealed.
   */
  public dev.keyturn.api.SealResponse seal() {
    return send("POST", "/v1/seal", null, dev.keyturn.api.SealResponse.class);
  }

  /**
   * The root key in force and its rotation's progress ({@code GET /v1/root-key}, {@code admin:*}).
   */
  public dev.keyturn.api.RootKeyStatus rootKey() {
    return send("GET", "/v1/root-key", null, dev.keyturn.api.RootKeyStatus.class);
  }

  /**
   * Starts a root key rotation, or resumes the one recorded ({@code POST /v1/root-key/rotate},
   * {@code admin:*}); it runs on in the server, and {@link #rootKey} tells its progress.
   */
  public dev.keyturn.api.RootKeyStatus rotateRootKey() {
    return send("POST", "/v1/root-key/rotate", null, dev.keyturn.api.RootKeyStatus.class);
  }

  /**
   * For a root key rebuilt from shares: makes a new key and answers its {@code shares} shares, once
   * ({@code POST /v1/root-key/rotate?shares=N}, {@code admin:*}); nothing changes until {@link
   * #confirmRootKey}.
   */
  public dev.keyturn.api.RootKeyStatus rotateRootKey(int shares) {
    return send(
        "POST", "/v1/root-key/rotate?shares=" + shares, null, dev.keyturn.api.RootKeyStatus.class);
  }

  /**
   * Begins the rotation to the new key that {@link #rotateRootKey(int)} made, once {@code shares}
   * rebuild it ({@code POST /v1/root-key/confirm}, {@code admin:*}).
   */
  public dev.keyturn.api.RootKeyStatus confirmRootKey(java.util.List<String> shares) {
    return send(
        "POST",
        "/v1/root-key/confirm",
        new dev.keyturn.api.RootKeyConfirmRequest(shares),
        dev.keyturn.api.RootKeyStatus.class);
  }

  public WhoAmIResponse whoami() {
    return send("GET", "/v1/whoami", null, WhoAmIResponse.class);
  }

  /**
   * Renews this client's own token by its original lifetime, never past the expiry of the token
   * that made it ({@code POST /v1/tokens/self/renew}).
   *
   * @throws KeyturnClientException with code {@code conflict} for a token that does not expire
   */
  public TokenRenewed renewToken() {
    return send("POST", "/v1/tokens/self/renew", null, TokenRenewed.class);
  }

  public WriteResponse put(String name, PutSecretRequest request) {
    return send(
        "PUT",
        "/v1/secrets/" + name(name),
        requireNonNull(request, "request"),
        WriteResponse.class);
  }

  /** The current value. */
  public SecretValueResponse get(String name) {
    return get(name, Optional.empty(), Optional.empty());
  }

  /** A version by number or stage (at most one of the two). */
  public SecretValueResponse get(String name, Optional<Integer> version, Optional<String> stage) {
    Map<String, String> query = new LinkedHashMap<>();
    version.ifPresent(v -> query.put("version", Integer.toString(v)));
    stage.ifPresent(s -> query.put("stage", s));
    return send("GET", "/v1/secrets/" + name(name) + query(query), null, SecretValueResponse.class);
  }

  public KeyringResponse keyring(String name) {
    return send("GET", "/v1/keyrings/" + name(name), null, KeyringResponse.class);
  }

  /**
   * The secret's JWT keyring as it stands now (one request; fetch again to follow rotations),
   * signing and accepting {@code algorithm} if given, else the algorithm its key sets. Needs the
   * secret's rotation rule: its generator sets the algorithm and its grace bounds token lifetimes.
   *
   * @throws dev.keyturn.keyring.KeyringException without a rule, for a generator that makes no JWT
   *     key, or naming a version that is not the key its generator makes
   */
  public JwtKeyring jwtKeyring(String name, Optional<String> algorithm) {
    return JwtKeyrings.fetch(this, name, algorithm, java.time.Clock.systemUTC());
  }

  /** The keyring with its rule's {@code generator} and {@code grace} (null without a rule). */
  public KeyringResponse keyringWithRule(String name) {
    return send("GET", "/v1/keyrings/" + name(name) + "?rule=true", null, KeyringResponse.class);
  }

  /**
   * The secret's HMAC keyring as it stands now (one request; fetch again to follow rotations).
   *
   * @throws dev.keyturn.keyring.KeyringException.InvalidKey when a version's value is JSON
   */
  public HmacKeyring hmacKeyring(String name) {
    return HmacKeyring.of(name, KeyringVersions.of(keyring(name)));
  }

  /**
   * The secret's Fernet keyring as it stands now (one request; fetch again to follow rotations).
   *
   * @throws dev.keyturn.keyring.KeyringException.InvalidKey naming a version that is not a Fernet
   *     key
   */
  public FernetKeyring fernetKeyring(String name) {
    return FernetKeyring.of(name, KeyringVersions.of(keyring(name)));
  }

  /**
   * Every current value one level below {@code prefix} (a folder such as {@code app/dev}, or empty
   * for the top level) that the token may read, in one request; secrets it may not read are left
   * out. With {@code keyring}, each entry's {@code fallbacks} holds its pending value, then its
   * previous ones newest first.
   */
  public BundleResponse bundle(String prefix, boolean keyring) {
    requireNonNull(prefix, "prefix");
    Map<String, String> query = new LinkedHashMap<>();
    if (!prefix.isEmpty()) {
      query.put(
          "prefix", name(prefix.endsWith("/") ? prefix.substring(0, prefix.length() - 1) : prefix));
    }
    if (keyring) {
      query.put("keyring", "true");
    }
    return send("GET", "/v1/bundles" + query(query), null, BundleResponse.class);
  }

  /**
   * Keyed digests of every pending, current and previous value at or below {@code prefix} (empty
   * for every name) that the token may read, in the {@code encodings} given ({@code raw}, {@code
   * base64}, {@code url}; empty for all), for a leak scan; never a value. Each version digested is
   * audited as a read. Keep the answer in memory only: its short windows can be guessed offline.
   */
  public FingerprintResponse fingerprints(String prefix, List<String> encodings) {
    requireNonNull(prefix, "prefix");
    requireNonNull(encodings, "encodings");
    return send(
        "POST",
        "/v1/fingerprints",
        new FingerprintRequest(prefix, encodings.isEmpty() ? null : encodings),
        FingerprintResponse.class);
  }

  /**
   * As {@link #fingerprints}, but each version's value digest alone (with its stage and {@code
   * accept_until}), without the patterns a scan needs: what {@code keyturn backup drill} compares a
   * backup with. Each version digested is audited as a read.
   */
  public FingerprintResponse valueDigests(String prefix) {
    requireNonNull(prefix, "prefix");
    return send(
        "POST",
        "/v1/fingerprints",
        new FingerprintRequest(prefix, null, false),
        FingerprintResponse.class);
  }

  /**
   * The hygiene findings of the current values at or below {@code prefix} that the token may read
   * ({@code GET /v1/hygiene}): check ids and the names of secrets with equal values, never a value.
   */
  public HygieneResponse hygiene(String prefix) {
    requireNonNull(prefix, "prefix");
    Map<String, String> query = new LinkedHashMap<>();
    if (!prefix.isEmpty()) {
      query.put("prefix", prefix);
    }
    return send("GET", "/v1/hygiene" + query(query), null, HygieneResponse.class);
  }

  /**
   * Follows the change events of the secrets at or below {@code prefix} (a folder such as {@code
   * app/dev}, or empty for every name) that the token may list or read, on a thread of its own,
   * until closed; see {@link Watch} for reconnection and {@link WatchListener} for what is
   * reported. With {@code lastEventId} (from {@link Watch#lastEventId} of an earlier watch) the
   * server first replays what came after it, or sends a reset.
   */
  public Watch watch(String prefix, Optional<String> lastEventId, WatchListener listener) {
    requireNonNull(prefix, "prefix");
    requireNonNull(lastEventId, "lastEventId");
    requireNonNull(listener, "listener");
    Map<String, String> query = new LinkedHashMap<>();
    if (!prefix.isEmpty()) {
      query.put(
          "prefix", name(prefix.endsWith("/") ? prefix.substring(0, prefix.length() - 1) : prefix));
    }
    return new Watch(
            http,
            reader,
            address.resolve("/v1/watch" + query(query)),
            token,
            timeout,
            lastEventId,
            listener)
        .start();
  }

  public HistoryResponse history(String name) {
    return send("GET", "/v1/versions/" + name(name), null, HistoryResponse.class);
  }

  public MetadataResponse describe(String name) {
    return send("GET", "/v1/metadata/" + name(name), null, MetadataResponse.class);
  }

  /** One page of names under {@code prefix}; pass the previous page's token to continue. */
  public SecretListResponse list(String prefix, Optional<String> pageToken) {
    Map<String, String> query = new LinkedHashMap<>();
    if (!prefix.isEmpty()) {
      query.put("prefix", prefix);
    }
    pageToken.ifPresent(t -> query.put("page_token", t));
    return send("GET", "/v1/secrets" + query(query), null, SecretListResponse.class);
  }

  public WriteResponse stage(String name, StageRequest request) {
    return send(
        "POST",
        "/v1/stages/" + name(name),
        requireNonNull(request, "request"),
        WriteResponse.class);
  }

  public RuleResponse putRule(String name, RuleBody rule) {
    return send("PUT", "/v1/rules/" + name(name), requireNonNull(rule, "rule"), RuleResponse.class);
  }

  public RuleResponse rule(String name) {
    return send("GET", "/v1/rules/" + name(name), null, RuleResponse.class);
  }

  public RuleResponse deleteRule(String name) {
    return send("DELETE", "/v1/rules/" + name(name), null, RuleResponse.class);
  }

  /** Prepares the target of the secret's rule (database: second user, owner role, parity). */
  public SetupResponse setupTarget(String name) {
    return send("POST", "/v1/setup/" + name(name), null, SetupResponse.class);
  }

  public RotationInfo rotate(String name, RotateRequest request) {
    return send(
        "POST", "/v1/rotate/" + name(name), requireNonNull(request, "request"), RotationInfo.class);
  }

  public RotationInfo rotation(String id) {
    return send("GET", "/v1/rotations/" + id(id), null, RotationInfo.class);
  }

  public RotationInfo cancelRotation(String id) {
    return send("POST", "/v1/rotations/" + id(id) + "/cancel", null, RotationInfo.class);
  }

  public RotationListResponse rotations(String name) {
    return send(
        "GET",
        "/v1/rotations" + query(Map.of("secret", name(name))),
        null,
        RotationListResponse.class);
  }

  /**
   * The rotations of every secret under {@code prefix} that the token may rotate, newest first;
   * {@code state} is a rotation state, or {@code active} for any unfinished one.
   */
  public RotationListResponse recentRotations(
      String prefix, Optional<String> state, Optional<Integer> limit) {
    Map<String, String> query = new LinkedHashMap<>();
    query.put("prefix", prefix);
    state.ifPresent(s -> query.put("state", s));
    limit.ifPresent(l -> query.put("limit", Integer.toString(l)));
    return send("GET", "/v1/rotations" + query(query), null, RotationListResponse.class);
  }

  public StatusResponse status(String prefix) {
    Map<String, String> query = new LinkedHashMap<>();
    if (!prefix.isEmpty()) {
      query.put("prefix", prefix);
    }
    return send("GET", "/v1/status" + query(query), null, StatusResponse.class);
  }

  /**
   * Registers the consumer {@code id} or sends its heartbeat ({@code PUT /v1/consumers/{id}}); the
   * id belongs to this client's token from then on.
   */
  public dev.keyturn.api.ConsumerInfo putConsumer(
      String id, dev.keyturn.api.ConsumerRequest request) {
    return send(
        "PUT",
        "/v1/consumers/" + consumerId(id),
        requireNonNull(request, "request"),
        dev.keyturn.api.ConsumerInfo.class);
  }

  /** The consumer {@code id}, registered by this client's token, departs. */
  public dev.keyturn.api.ConsumerDeparted deleteConsumer(String id) {
    return send(
        "DELETE", "/v1/consumers/" + consumerId(id), null, dev.keyturn.api.ConsumerDeparted.class);
  }

  /** The live consumers of {@code name}, with the versions of it they hold. */
  public dev.keyturn.api.ConsumerListResponse consumers(String name) {
    return send(
        "GET",
        "/v1/consumers" + query(Map.of("secret", name(name))),
        null,
        dev.keyturn.api.ConsumerListResponse.class);
  }

  public TokenCreated createToken(TokenCreateRequest request) {
    return send("POST", "/v1/tokens", requireNonNull(request, "request"), TokenCreated.class);
  }

  /** A token with no creator, which outlives its maker (needs {@code admin:*}). */
  public TokenCreated createOrphanToken(TokenCreateRequest request) {
    return send(
        "POST", "/v1/tokens/orphan", requireNonNull(request, "request"), TokenCreated.class);
  }

  public TokenListResponse listTokens() {
    return send("GET", "/v1/tokens", null, TokenListResponse.class);
  }

  public TokenInfo revokeToken(String id) {
    return send("DELETE", "/v1/tokens/" + id(id), null, TokenInfo.class);
  }

  /** Audit records; each filter may be empty. {@code since} is a duration (24h) or RFC 3339. */
  public AuditListResponse audit(
      Optional<String> since,
      Optional<String> secret,
      Optional<String> action,
      Optional<Integer> limit) {
    return audit(since, secret, action, Optional.empty(), limit);
  }

  /** Audit records; {@code result} is {@code ok}, {@code denied} or {@code failed}. */
  public AuditListResponse audit(
      Optional<String> since,
      Optional<String> secret,
      Optional<String> action,
      Optional<String> result,
      Optional<Integer> limit) {
    return audit(since, secret, action, result, Optional.empty(), limit);
  }

  /** Audit records, also only those of the requests of one token ({@code tokenId}) when given. */
  public AuditListResponse audit(
      Optional<String> since,
      Optional<String> secret,
      Optional<String> action,
      Optional<String> result,
      Optional<String> tokenId,
      Optional<Integer> limit) {
    Map<String, String> query = new LinkedHashMap<>();
    since.ifPresent(v -> query.put("since", v));
    secret.ifPresent(v -> query.put("secret", v));
    action.ifPresent(v -> query.put("action", v));
    result.ifPresent(v -> query.put("result", v));
    tokenId.ifPresent(v -> query.put("token", v));
    limit.ifPresent(v -> query.put("limit", Integer.toString(v)));
    return send("GET", "/v1/audit" + query(query), null, AuditListResponse.class);
  }

  public AuditVerifyResponse verifyAudit(Optional<String> checkpoint) {
    Map<String, String> query = new LinkedHashMap<>();
    checkpoint.ifPresent(v -> query.put("checkpoint", v));
    return send("GET", "/v1/audit/verify" + query(query), null, AuditVerifyResponse.class);
  }

  public AuditHeadResponse auditHead() {
    return send("GET", "/v1/audit/head", null, AuditHeadResponse.class);
  }

  public DeleteResponse delete(String name, boolean destroy) {
    return send(
        "DELETE",
        "/v1/secrets/" + name(name) + (destroy ? "?destroy=true" : ""),
        null,
        DeleteResponse.class);
  }

  /**
   * Opens {@code POST /v1/backups} for the folder {@code prefix} (empty: every secret) and returns
   * the backup document as it streams in; the caller reads it to the end and closes it. The
   * document holds values: encrypt it as it is read, never write it out in the clear.
   */
  public InputStream backup(String prefix) {
    requireNonNull(prefix, "prefix");
    HttpRequest.Builder request =
        HttpRequest.newBuilder(
                address.resolve(
                    "/v1/backups" + (prefix.isEmpty() ? "" : query(Map.of("prefix", prefix)))))
            .timeout(timeout)
            .header("Accept", "application/json")
            .POST(HttpRequest.BodyPublishers.noBody());
    token.ifPresent(t -> request.header("Authorization", "Bearer " + t));
    HttpResponse<InputStream> response =
        exchange(request, HttpResponse.BodyHandlers.ofInputStream());
    if (response.statusCode() == 200) {
      return response.body();
    }
    byte[] body;
    try (InputStream in = response.body()) {
      body = in.readNBytes(64 * 1024);
    } catch (IOException e) {
      body = new byte[0];
    }
    throw failure(response.statusCode(), body);
  }

  /**
   * Sends a backup document to {@code POST /v1/restores}: every secret below {@code prefix} is
   * planned and (unless {@code dryRun}) restored; see {@link RestoreResponse}. The document holds
   * values; the caller zeroes its array afterwards.
   *
   * @param restoreTimeout how long the server may take (a large restore takes a while)
   */
  public RestoreResponse restore(
      byte[] document,
      String prefix,
      boolean dryRun,
      boolean asCurrent,
      Optional<String> grace,
      Duration restoreTimeout) {
    return restore(document, prefix, dryRun, asCurrent, false, false, grace, restoreTimeout);
  }

  /**
   * As {@link #restore(byte[], String, boolean, boolean, Optional, Duration)}; with {@code
   * allowPlaceholder}, a value that {@code asCurrent} makes current passes the placeholder check of
   * {@code PUT /v1/secrets} (docs/doctor.md) as {@code allow_placeholder} lets a put through; with
   * {@code skipBadRules}, a secret whose rule cannot be restored is restored without it
   * (docs/backup.md) instead of the whole restore being refused.
   */
  public RestoreResponse restore(
      byte[] document,
      String prefix,
      boolean dryRun,
      boolean asCurrent,
      boolean allowPlaceholder,
      boolean skipBadRules,
      Optional<String> grace,
      Duration restoreTimeout) {
    requireNonNull(document, "document");
    Map<String, String> query = new LinkedHashMap<>();
    if (!prefix.isEmpty()) {
      query.put("prefix", prefix);
    }
    if (dryRun) {
      query.put("dry_run", "true");
    }
    if (asCurrent) {
      query.put("as_current", "true");
    }
    if (allowPlaceholder) {
      query.put("allow_placeholder", "true");
    }
    if (skipBadRules) {
      query.put("skip_bad_rules", "true");
    }
    grace.ifPresent(g -> query.put("grace", g));
    HttpRequest.Builder request =
        HttpRequest.newBuilder(address.resolve("/v1/restores" + query(query)))
            .timeout(restoreTimeout)
            .header("Accept", "application/json")
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofByteArray(document));
    token.ifPresent(t -> request.header("Authorization", "Bearer " + t));
    HttpResponse<byte[]> response = exchange(request, HttpResponse.BodyHandlers.ofByteArray());
    if (response.statusCode() == 200) {
      try {
        return reader.readValue(response.body(), RestoreResponse.class);
      } catch (JacksonException e) {
        throw new KeyturnClientException(
            200, "invalid_response", "the server's answer is not what this client expects");
      }
    }
    throw failure(response.statusCode(), response.body());
  }

  private <B> HttpResponse<B> exchange(
      HttpRequest.Builder request, HttpResponse.BodyHandler<B> handler) {
    try {
      return http.send(request.build(), handler);
    } catch (ConnectException e) {
      throw new KeyturnConnectionException(
          "cannot connect to Keyturn at " + address + " (is the server running? set KEYTURN_ADDR)",
          e);
    } catch (HttpTimeoutException e) {
      throw new KeyturnConnectionException("Keyturn at " + address + " did not answer in time", e);
    } catch (IOException e) {
      throw new KeyturnConnectionException(
          "talking to Keyturn at " + address + " failed: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KeyturnConnectionException("interrupted", e);
    }
  }

  private KeyturnClientException failure(int status, byte[] body) {
    String code = "http_" + status;
    String message = "HTTP " + status;
    String rotationId = null;
    try {
      ErrorResponse error = reader.readValue(body, ErrorResponse.class);
      if (error.error() != null) {
        code = error.error().code();
        message = error.error().message();
        rotationId = error.error().rotationId();
      }
    } catch (JacksonException e) {
      // Not a Keyturn error body.
    }
    return KeyturnClientException.of(status, code, message, rotationId);
  }

  private <T> T send(String method, String path, Object body, Class<T> type) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(address.resolve(path))
            .timeout(timeout)
            .header("Accept", "application/json");
    token.ifPresent(t -> request.header("Authorization", "Bearer " + t));
    if (body != null) {
      request.header("Content-Type", "application/json");
      request.method(method, HttpRequest.BodyPublishers.ofByteArray(json.writeValueAsBytes(body)));
    } else {
      request.method(method, HttpRequest.BodyPublishers.noBody());
    }
    HttpResponse<byte[]> response;
    try {
      response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    } catch (ConnectException e) {
      throw new KeyturnConnectionException(
          "cannot connect to Keyturn at " + address + " (is the server running? set KEYTURN_ADDR)",
          e);
    } catch (javax.net.ssl.SSLException e) {
      throw new KeyturnConnectionException(
          "TLS with Keyturn at "
              + address
              + " failed ("
              + e.getMessage()
              + "); for a private CA set KEYTURN_CACERT",
          e);
    } catch (HttpTimeoutException e) {
      throw new KeyturnConnectionException(
          "Keyturn at " + address + " did not answer within " + timeout.toSeconds() + " s", e);
    } catch (IOException e) {
      throw new KeyturnConnectionException(
          "talking to Keyturn at " + address + " failed: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KeyturnConnectionException("interrupted", e);
    }
    int status = response.statusCode();
    if (status >= 200 && status < 300) {
      try {
        return reader.readValue(response.body(), type);
      } catch (JacksonException e) {
        throw new KeyturnClientException(
            status, "invalid_response", "the server's answer is not what this client expects");
      }
    }
    String code = "http_" + status;
    String message = "HTTP " + status;
    String rotationId = null;
    try {
      ErrorResponse error = reader.readValue(response.body(), ErrorResponse.class);
      if (error.error() != null) {
        code = error.error().code();
        message = error.error().message();
        rotationId = error.error().rotationId();
      }
    } catch (JacksonException e) {
      // Not a Keyturn error body (a proxy's page, say): keep the status alone.
    }
    throw KeyturnClientException.of(
        status,
        code,
        message,
        rotationId,
        retryAfter(response.headers().firstValue("Retry-After")));
  }

  /** A {@code Retry-After} in seconds (an HTTP date is not used by Keyturn and is ignored). */
  static Optional<Duration> retryAfter(Optional<String> header) {
    if (header.isEmpty() || !header.get().strip().matches("[0-9]{1,9}")) {
      return Optional.empty();
    }
    return Optional.of(Duration.ofSeconds(Long.parseLong(header.get().strip())));
  }

  private static String name(String name) {
    return Names.secret(name);
  }

  private static String consumerId(String id) {
    return Names.consumerId(id);
  }

  private static String id(String id) {
    requireNonNull(id, "id");
    if (!id.matches("[A-Za-z0-9_]{1,64}")) {
      throw new KeyturnInvalidRequestException("invalid_request", "invalid id '" + id + "'");
    }
    return id;
  }

  private static String query(Map<String, String> params) {
    if (params.isEmpty()) {
      return "";
    }
    StringBuilder out = new StringBuilder();
    for (Map.Entry<String, String> e : params.entrySet()) {
      out.append(out.isEmpty() ? '?' : '&')
          .append(e.getKey())
          .append('=')
          .append(URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8));
    }
    return out.toString();
  }

  @Override
  public String toString() {
    return "WireClient[" + address + (token.isPresent() ? ", token=[redacted]" : "") + "]";
  }

  /** Builds a {@link WireClient}; {@code address} defaults to http://127.0.0.1:8270. */
  public static final class Builder {
    private URI address = URI.create("http://127.0.0.1:8270");
    private Optional<String> token = Optional.empty();
    private Duration timeout = Duration.ofSeconds(30);
    private Optional<SSLContext> sslContext = Optional.empty();
    private boolean insecureHttp;
    private boolean ignoreUnknownFields;

    private Builder() {}

    /**
     * Reads answers ignoring fields this client does not know, so that it keeps working with a
     * newer server (the SDK's choice); off by default, where an unexpected field is an error (the
     * CLI's choice).
     */
    public Builder ignoreUnknownFields(boolean ignore) {
      this.ignoreUnknownFields = ignore;
      return this;
    }

    /**
     * Allows sending the token over plain {@code http://} to a host other than this machine. Off by
     * default: anyone on the network path could read the token and use it. Turn it on only for a
     * path you trust (a private network, a sidecar).
     */
    public Builder insecureHttp(boolean allowed) {
      this.insecureHttp = allowed;
      return this;
    }

    /**
     * Trusts the CA certificates (PEM) in {@code file} for HTTPS, instead of the JDK's default
     * trust store: for a server whose certificate a private CA signed. Host names are still
     * checked.
     */
    public Builder caCertificate(Path file) {
      this.sslContext = Optional.of(CaCertificates.trusting(file));
      return this;
    }

    public Builder address(String address) {
      requireNonNull(address, "address");
      String a = address.endsWith("/") ? address.substring(0, address.length() - 1) : address;
      URI uri;
      try {
        uri = URI.create(a);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("invalid Keyturn address '" + address + "'");
      }
      if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())
          || uri.getHost() == null) {
        throw new IllegalArgumentException(
            "invalid Keyturn address '"
                + address
                + "' (use http://HOST:PORT or https://HOST:PORT)");
      }
      this.address = uri;
      return this;
    }

    public Builder token(String token) {
      this.token = Optional.of(requireNonNull(token, "token"));
      return this;
    }

    public Builder timeout(Duration timeout) {
      this.timeout = requireNonNull(timeout, "timeout");
      return this;
    }

    /**
     * @throws IllegalArgumentException when a token would go over plain HTTP to another machine and
     *     {@link #insecureHttp} was not given
     */
    public WireClient build() {
      if (token.isPresent()
          && "http".equals(address.getScheme())
          && !insecureHttp
          && !LoopbackHost.is(address.getHost())) {
        throw new IllegalArgumentException(
            "refusing to send the token to http://"
                + address.getRawAuthority()
                + " over plain HTTP: anyone on the network path could read it and use it. Use"
                + " https://, or call insecureHttp(true) if that path is private");
      }
      return new WireClient(this);
    }
  }
}
