package dev.keyturn.server;

import static java.util.Objects.requireNonNull;

import dev.keyturn.api.DeleteResponse;
import dev.keyturn.api.HistoryResponse;
import dev.keyturn.api.KeyringEntry;
import dev.keyturn.api.KeyringResponse;
import dev.keyturn.api.MetadataResponse;
import dev.keyturn.api.PutSecretRequest;
import dev.keyturn.api.RuleBody;
import dev.keyturn.api.SecretListResponse;
import dev.keyturn.api.SecretSummary;
import dev.keyturn.api.SecretValueResponse;
import dev.keyturn.api.StageRequest;
import dev.keyturn.api.VersionInfo;
import dev.keyturn.api.WhoAmIResponse;
import dev.keyturn.api.WireJson;
import dev.keyturn.api.WriteResponse;
import dev.keyturn.core.Caller;
import dev.keyturn.core.Durations;
import dev.keyturn.core.Generator;
import dev.keyturn.core.Grant;
import dev.keyturn.core.Plaintext;
import dev.keyturn.core.SecretName;
import dev.keyturn.core.SecretService;
import dev.keyturn.core.SecretValue;
import dev.keyturn.core.Selector;
import dev.keyturn.core.Stage;
import dev.keyturn.core.ValueType;
import dev.keyturn.core.Version;
import dev.keyturn.core.WriteResult;
import dev.keyturn.core.spi.StoredSecret;
import dev.keyturn.core.spi.UnitOfWork;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The secret routes: call {@link SecretService} and map between wire records and domain values (the
 * one place where that mapping happens). Who may call them is declared in {@link Routes}.
 */
final class SecretsApi {
  private static final int DEFAULT_PAGE = 100;
  private static final int LIST_SCAN_BATCH = 1000;

  private final SecretService service;
  private final SecureRandom random;
  private final Clock clock;
  private final PageTokens pageTokens;
  private final JsonMapper json = WireJson.mapper();

  /** Refuses a value the secret's rule does not allow a plain put to store (its target decides). */
  private final java.util.function.BiConsumer<SecretName, Plaintext> writeCheck;

  private final BundlesApi bundles;
  private final FingerprintsApi fingerprints;
  private final HygieneApi hygiene;

  SecretsApi(SecretService service, SecureRandom random, Clock clock, PageTokens pageTokens) {
    this(service, random, clock, pageTokens, (name, value) -> {});
  }

  SecretsApi(
      SecretService service,
      SecureRandom random,
      Clock clock,
      PageTokens pageTokens,
      java.util.function.BiConsumer<SecretName, Plaintext> writeCheck) {
    this(service, random, clock, pageTokens, writeCheck, randomKey(random));
  }

  /**
   * @param hygieneKey the key of the store-wide value fingerprints {@link HygieneApi} compares
   */
  SecretsApi(
      SecretService service,
      SecureRandom random,
      Clock clock,
      PageTokens pageTokens,
      java.util.function.BiConsumer<SecretName, Plaintext> writeCheck,
      byte[] hygieneKey) {
    this.hygiene = new HygieneApi(service, hygieneKey);
    this.service = requireNonNull(service, "service");
    this.random = requireNonNull(random, "random");
    this.clock = requireNonNull(clock, "clock");
    this.pageTokens = requireNonNull(pageTokens, "pageTokens");
    this.writeCheck = requireNonNull(writeCheck, "writeCheck");
    this.bundles = new BundlesApi(service);
    this.fingerprints = new FingerprintsApi(service, random);
  }

  /** The fingerprint route, over the same service. */
  FingerprintsApi fingerprints() {
    return fingerprints;
  }

  private static byte[] randomKey(SecureRandom random) {
    byte[] key = new byte[32];
    random.nextBytes(key);
    return key;
  }

  /** The hygiene route, over the same service. */
  HygieneApi hygiene() {
    return hygiene;
  }

  /** The bundle route, over the same service. */
  BundlesApi bundles() {
    return bundles;
  }

  WriteResponse put(Exchange ex) {
    SecretName name = ex.name();
    PutSecretRequest request = ex.body(PutSecretRequest.class);
    // Jackson reads a JSON null into a JsonNode field as NullNode: treat it as absent.
    JsonNode valueJson =
        request.valueJson() == null || request.valueJson().isNull() ? null : request.valueJson();
    int given =
        (request.value() != null ? 1 : 0)
            + (valueJson != null ? 1 : 0)
            + (request.generate() != null ? 1 : 0);
    if (given != 1) {
      throw HttpError.badRequest("give exactly one of value, value_json or generate");
    }
    Plaintext value;
    ValueType type = ValueType.STRING;
    boolean allowPlaceholder = Boolean.TRUE.equals(request.allowPlaceholder());
    PutChecks.Outcome checked = new PutChecks.Outcome(List.of(), List.of());
    if (request.value() != null) {
      checked = PutChecks.text(name, request.value(), allowPlaceholder);
      value = Plaintext.ofUtf8(request.value());
    } else if (valueJson != null) {
      if (!valueJson.isObject()) {
        throw HttpError.badRequest("value_json must be a JSON object");
      }
      checked = PutChecks.json(name, valueJson, allowPlaceholder);
      value = Plaintext.wrap(json.writeValueAsBytes(valueJson));
      type = ValueType.JSON;
    } else {
      value = Generator.parse(request.generate()).generate(random);
      ex.detail = "generated";
    }
    if (!checked.detail().isEmpty()) {
      ex.detail = checked.detail();
    }
    List<String> warnings = checked.warnings();
    Duration grace = request.grace() == null ? Duration.ZERO : Durations.parse(request.grace());
    Stage stage = request.stage() == null ? Stage.CURRENT : Stage.fromWire(request.stage());
    Integer cas = request.cas();
    if (cas != null && cas < 0) {
      throw HttpError.badRequest("cas must be 0 or a version number");
    }
    if (cas != null) {
      ex.detail = ex.detail.isEmpty() ? "cas " + cas : ex.detail + "; cas " + cas;
    }
    Plaintext supplied = value;
    ValueType givenType = type;
    try {
      writeCheck.accept(name, value);
      WriteResult result =
          commit(
              ex,
              work ->
                  cas == null
                      ? service.put(
                          work, name, supplied, givenType, grace, stage, ex.caller.tokenId())
                      : service.putIfCurrent(
                          work, name, cas, supplied, givenType, grace, stage, ex.caller.tokenId()),
              r -> Optional.of(r.newest().number()));
      WriteResponse answer = written(ex, result, result.newest());
      return new WriteResponse(
          answer.name(),
          answer.version(),
          answer.stage(),
          answer.createdAt(),
          answer.acceptUntil(),
          warnings);
    } finally {
      value.destroy();
    }
  }

  SecretValueResponse read(Exchange ex) {
    SecretName name = ex.name();
    Optional<String> version = ex.query("version");
    Optional<String> stage = ex.query("stage");
    Selector selector;
    if (version.isPresent() && stage.isPresent()) {
      throw HttpError.badRequest("ask for version or stage, not both");
    } else if (version.isPresent()) {
      selector = Selector.version(positive("version", version.get()));
    } else if (stage.isPresent()) {
      selector = Selector.stage(Stage.fromWire(stage.get()));
    } else {
      selector = Selector.current();
    }
    SecretValue value = service.read(name, selector, ex.elevated);
    try {
      Version v = value.version();
      ex.version = Optional.of(v.number());
      return new SecretValueResponse(
          name.value(), v.number(), v.stage().wireName(), valueNode(value), time(v.createdAt()));
    } finally {
      value.plaintext().destroy();
    }
  }

  /**
   * {@code name}'s keyring; with {@code ?rule=true}, the generator and grace of its rule as {@code
   * rules} finds it.
   */
  KeyringResponse keyring(
      Exchange ex, java.util.function.Function<SecretName, Optional<RuleBody>> rules) {
    SecretName name = ex.name();
    List<KeyringEntry> entries = new ArrayList<>();
    List<SecretValue> values = service.keyring(name);
    dev.keyturn.core.Holds holds = service.holds(name);
    for (SecretValue value : values) {
      try {
        Version v = value.version();
        entries.add(
            new KeyringEntry(
                v.number(),
                v.stage().wireName(),
                valueNode(value),
                time(v.acceptUntil()),
                holds.heldBy(v.number())));
      } finally {
        value.plaintext().destroy();
      }
    }
    ex.detail = "versions " + entries.stream().map(e -> String.valueOf(e.version())).toList();
    Optional<RuleBody> rule =
        ex.query("rule").map("true"::equals).orElse(false) ? rules.apply(name) : Optional.empty();
    return new KeyringResponse(
        name.value(),
        entries,
        rule.map(RuleBody::generate).orElse(null),
        rule.map(RuleBody::grace).orElse(null));
  }

  HistoryResponse history(Exchange ex) {
    SecretName name = ex.name();
    List<VersionInfo> versions =
        service.describe(name).versions().versions().stream()
            .sorted(Comparator.comparingInt(Version::number).reversed())
            .map(SecretsApi::info)
            .toList();
    return new HistoryResponse(name.value(), versions);
  }

  MetadataResponse describe(Exchange ex) {
    SecretName name = ex.name();
    StoredSecret s = service.describe(name);
    Instant now = clock.instant();
    Optional<Version> current = s.versions().current();
    return new MetadataResponse(
        name.value(),
        current.map(v -> v.type().wireName()).orElse(null),
        current.map(Version::number).orElse(null),
        s.versions().pending().map(Version::number).orElse(null),
        s.versions().newestPrevious(now).map(Version::number).orElse(null),
        s.versions().versions().size(),
        time(s.createdAt()),
        time(s.updatedAt()),
        s.versions().allRetired(),
        s.destroyed());
  }

  SecretListResponse list(Exchange ex) {
    String prefix = ex.query("prefix").orElse("");
    if (!prefix.matches("[A-Za-z0-9._/-]*")) {
      throw HttpError.badRequest("prefix may hold only letters, digits, '.', '_', '-' and '/'");
    }
    int limit = ex.query("limit").map(t -> positive("limit", t)).orElse(DEFAULT_PAGE);
    if (limit > 1000) {
      throw HttpError.badRequest("limit must be at most 1000");
    }
    Optional<String> after =
        ex.query("page_token").map(t -> pageTokens.open(t, ex.caller.tokenId(), prefix));
    // The page is cut after filtering, and the next page token names the last row shown, sealed:
    // a caller learns nothing of the names it may not list, not even how many lie between.
    List<SecretSummary> rows = new ArrayList<>();
    boolean more = false;
    scan:
    while (true) {
      List<StoredSecret> batch = service.list(prefix, after, LIST_SCAN_BATCH);
      for (StoredSecret s : batch) {
        if (!ex.visible(s.name())) {
          continue;
        }
        if (rows.size() == limit) {
          more = true;
          break scan;
        }
        rows.add(
            new SecretSummary(
                s.name().value(),
                s.versions().current().map(Version::number).orElse(null),
                s.versions().versions().size(),
                time(s.updatedAt())));
      }
      if (batch.size() < LIST_SCAN_BATCH) {
        break;
      }
      after = Optional.of(batch.get(batch.size() - 1).name().value());
    }
    ex.detail = "prefix=" + prefix + " rows=" + rows.size();
    String next =
        more
            ? pageTokens.seal(ex.caller.tokenId(), prefix, rows.get(rows.size() - 1).name())
            : null;
    return new SecretListResponse(rows, next);
  }

  WriteResponse stage(Exchange ex) {
    SecretName name = ex.name();
    StageRequest request = ex.body(StageRequest.class);
    if (request.version() == null || request.stage() == null) {
      throw HttpError.badRequest("give version and stage");
    }
    Stage target = Stage.fromWire(request.stage());
    Duration grace = request.grace() == null ? Duration.ZERO : Durations.parse(request.grace());
    // Routes declares that previous -> current needs admin; the service checks it again in the
    // same update, so a concurrent promotion cannot turn a writer's move into a roll-back.
    WriteResult result =
        commit(
            ex,
            work ->
                service.move(
                    work, name, request.version(), target, grace, ex.caller.tokenId(), ex.elevated),
            r -> Optional.of(request.version()));
    return written(ex, result, result.version(request.version()));
  }

  DeleteResponse delete(Exchange ex) {
    SecretName name = ex.name();
    boolean destroy = ex.flag("destroy");
    ex.detail = destroy ? "destroy" : "";
    WriteResult result =
        commit(
            ex,
            work -> service.delete(work, name, destroy, ex.caller.tokenId()),
            r -> Optional.empty());
    StoredSecret after = result.after();
    return new DeleteResponse(name.value(), after.versions().versions().size(), after.destroyed());
  }

  /** The stage {@code name}'s version {@code number} stands in now, if it exists. */
  Optional<Stage> stageOf(SecretName name, int number) {
    return service.describe(name).versions().version(number).map(Version::stage);
  }

  WhoAmIResponse whoami(Exchange ex) {
    Caller caller = ex.caller;
    return new WhoAmIResponse(
        caller.tokenId(),
        caller.name(),
        caller.grants().stream().map(Grant::toString).toList(),
        time(caller.expiresAt()));
  }

  /**
   * Runs {@code change} in one unit of work with the request's audit records, so both commit or
   * neither does (DESIGN invariant 9).
   */
  private WriteResult commit(
      Exchange ex,
      Function<UnitOfWork, WriteResult> change,
      Function<WriteResult, Optional<Integer>> version) {
    return service.inTransaction(work -> {
      WriteResult result = change.apply(work);
      ex.version = version.apply(result);
      ex.changes = result.changes();
      work.audit().append(ex.changeRecords());
      return result;
    });
  }

  private static WriteResponse written(Exchange ex, WriteResult result, Version v) {
    ex.version = Optional.of(v.number());
    ex.changes = result.changes();
    return new WriteResponse(
        result.after().name().value(),
        v.number(),
        v.stage().wireName(),
        time(v.createdAt()),
        time(v.acceptUntil()));
  }

  private JsonNode valueNode(SecretValue value) {
    byte[] bytes = value.plaintext().reveal();
    if (value.version().type() == ValueType.JSON) {
      return json.readTree(bytes);
    }
    return json.getNodeFactory().stringNode(new String(bytes, StandardCharsets.UTF_8));
  }

  static VersionInfo info(Version v) {
    return new VersionInfo(
        v.number(),
        v.stage().wireName(),
        v.type().wireName(),
        time(v.createdAt()),
        v.createdBy(),
        time(v.acceptUntil()),
        v.fingerprint());
  }

  private static int positive(String field, String text) {
    if (!text.matches("[0-9]{1,9}") || Integer.parseInt(text) < 1) {
      throw HttpError.badRequest(field + " must be a positive whole number");
    }
    return Integer.parseInt(text);
  }

  static String time(Instant instant) {
    return instant.toString();
  }

  static String time(Optional<Instant> instant) {
    return instant.map(Instant::toString).orElse(null);
  }
}
