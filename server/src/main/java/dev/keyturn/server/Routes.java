package dev.keyturn.server;

import static dev.keyturn.core.Capability.ADMIN;
import static dev.keyturn.core.Capability.LIST;
import static dev.keyturn.core.Capability.READ;
import static dev.keyturn.core.Capability.ROTATE;
import static dev.keyturn.core.Capability.WRITE;

import dev.keyturn.api.AuditHeadResponse;
import dev.keyturn.api.AuditListResponse;
import dev.keyturn.api.AuditVerifyResponse;
import dev.keyturn.api.BundleResponse;
import dev.keyturn.api.ConsumerDeparted;
import dev.keyturn.api.ConsumerInfo;
import dev.keyturn.api.ConsumerListResponse;
import dev.keyturn.api.ConsumerRequest;
import dev.keyturn.api.DeleteResponse;
import dev.keyturn.api.FingerprintRequest;
import dev.keyturn.api.FingerprintResponse;
import dev.keyturn.api.HistoryResponse;
import dev.keyturn.api.HygieneResponse;
import dev.keyturn.api.JwkSetResponse;
import dev.keyturn.api.KeyringResponse;
import dev.keyturn.api.MetadataResponse;
import dev.keyturn.api.PutSecretRequest;
import dev.keyturn.api.RestoreResponse;
import dev.keyturn.api.RootKeyConfirmRequest;
import dev.keyturn.api.RootKeyStatus;
import dev.keyturn.api.RotateRequest;
import dev.keyturn.api.RotationInfo;
import dev.keyturn.api.RotationListResponse;
import dev.keyturn.api.RuleBody;
import dev.keyturn.api.RuleResponse;
import dev.keyturn.api.SealResponse;
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
import dev.keyturn.api.WriteResponse;
import dev.keyturn.server.Access.Subject;
import dev.keyturn.server.Route.Tail;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The API's route table: every route, its audit action and who may call it ({@link Access}).
 * Dispatch, authorization ({@link Authorizer}), audit records, {@code /v1/openapi.json} and the
 * generated access test all read it, so they cannot drift apart. Routes with a fixed path come
 * before the prefix routes they share a start with.
 */
final class Routes {
  private static final Subject PATH = new Subject.PathName();
  private static final Subject EVERYTHING = new Subject.Everything();

  private Routes() {}

  private static Subject rotationId(RotationsApi rotations) {
    return new Subject.Lookup("rotation", rotations::secretOfRotation);
  }

  /**
   * Checks a route table before the server serves it: every route declares who may call it on a
   * subject that its path can give, and no two routes share a method and path.
   *
   * @throws IllegalStateException naming the first route that is wrong
   */
  static List<Route> check(List<Route> routes) {
    Set<String> seen = new HashSet<>();
    for (Route route : routes) {
      String where = route.method() + " " + route.template();
      if (!seen.add(where)) {
        throw new IllegalStateException(where + " is declared twice");
      }
      Subject subject = route.access().subject();
      boolean fits =
          switch (subject) {
            case Subject.PathName p -> route.tail() == Route.Tail.NAME;
            case Subject.Lookup l -> route.tail() == Route.Tail.ID;
            case Subject.Everything e -> route.tail() != Route.Tail.NAME;
            case Subject.Rows r -> route.tail() == Route.Tail.NONE;
            case Subject.Anywhere a -> route.tail() != Route.Tail.NAME;
            case Subject.Folder f -> route.tail() == Route.Tail.NONE;
            case Subject.Nothing n -> true;
          };
      if (!fits) {
        throw new IllegalStateException(
            where + " checks its capability on a subject its path does not give");
      }
    }
    return List.copyOf(routes);
  }

  static List<Route> table(
      SecretsApi secrets,
      TokensApi tokens,
      AuditApi audit,
      RotationsApi rotations,
      WatchApi watch,
      JwksApi jwks,
      BackupsApi backups,
      ConsumersApi consumers,
      SealApi seal,
      RootKeyApi rootKey) {
    return List.of(
        new Route(
            "GET",
            "/v1/whoami",
            Tail.NONE,
            "token.self",
            Access.anyToken(),
            "The calling token's id, name, grants and expiry.",
            null,
            WhoAmIResponse.class,
            secrets::whoami),
        new Route(
            "GET",
            "/v1/secrets",
            Tail.NONE,
            "secret.list",
            Access.needs(LIST, new Subject.Rows("prefix")),
            "Secret names and metadata under ?prefix=, paginated with ?page_token= and ?limit=.",
            null,
            SecretListResponse.class,
            secrets::list),
        new Route(
            "PUT",
            "/v1/secrets/",
            Tail.NAME,
            "secret.write",
            Access.needs(WRITE, PATH),
            "Stores a new version: value, value_json or generate; optional grace and stage.",
            PutSecretRequest.class,
            WriteResponse.class,
            secrets::put),
        new Route(
            "GET",
            "/v1/secrets/",
            Tail.NAME,
            "secret.read",
            Access.needs(READ, PATH).and(Requirements.readRetired(secrets)).elevatedBy(ADMIN),
            "One value: current, ?version=N (retired ones need admin) or ?stage=.",
            null,
            SecretValueResponse.class,
            secrets::read),
        new Route(
            "DELETE",
            "/v1/secrets/",
            Tail.NAME,
            "secret.delete",
            Access.needs(ADMIN, PATH),
            "Retires every version; ?destroy=true also erases the stored values.",
            null,
            DeleteResponse.class,
            secrets::delete),
        new Route(
            "GET",
            "/v1/bundles",
            Tail.NONE,
            "bundle.read",
            Access.needs(READ, new Subject.Rows("prefix")),
            "Every current value one level below ?prefix= that the token may read, each audited as"
                + " a read; ?keyring=true adds each secret's other valid values (fallbacks).",
            null,
            BundleResponse.class,
            secrets.bundles()::bundle),
        new Route(
            "POST",
            "/v1/fingerprints",
            Tail.NONE,
            "fingerprints.read",
            Access.needs(READ, Subject.Rows.byBodyField("prefix")),
            "Keyed digests (under a key made for this request) of every pending, current and"
                + " previous value at or below the body's prefix that the token may read, and of"
                + " their short windows, for leak scans (value digests alone with patterns=false,"
                + " for backup drills); never a value; each version audited as a"
                + " read; secrets it may not read are counted, not named.",
            FingerprintRequest.class,
            FingerprintResponse.class,
            secrets.fingerprints()::fingerprints),
        new Route(
            "GET",
            "/v1/hygiene",
            Tail.NONE,
            "hygiene.check",
            Access.needs(READ, new Subject.Rows("prefix")),
            "The current values at or below ?prefix= that the token may read, checked for"
                + " placeholders and weakness (check ids, docs/doctor.md) and compared with each"
                + " other under a keyed fingerprint that never leaves the server: names equal"
                + " ones, never a value. Each value checked is audited as a read.",
            null,
            HygieneResponse.class,
            secrets.hygiene()::check),
        new Route(
            "GET",
            "/v1/watch",
            Tail.NONE,
            "watch.open",
            Access.needs(LIST, new Subject.Rows("prefix", List.of(READ))),
            "Server-Sent Events: a version event (name, version, stage, at; never a value) for each"
                + " stage change at or below ?prefix= that the token may list or read;"
                + " Last-Event-ID replays the last 24 hours or sends reset.",
            null,
            EventStream.class,
            watch::watch),
        new Route(
            "GET",
            "/v1/keyrings/",
            Tail.NAME,
            "keyring.read",
            Access.needs(READ, PATH),
            "Every value valid now, newest first, each with its stage.",
            null,
            KeyringResponse.class,
            ex -> secrets.keyring(ex, rotations::storedRule)),
        new Route(
            "GET",
            "/v1/jwks/",
            Tail.NAME,
            "jwks.read",
            Access.noToken(),
            "The public keys (pending, current, previous) of a key-pair secret whose rule says"
                + " jwks: public, as a JWK Set (kid, alg, use); Cache-Control: public, max-age=60."
                + " Any other name gets the same 404. No token; not audited (nothing secret).",
            null,
            JwkSetResponse.class,
            jwks::jwks),
        new Route(
            "GET",
            "/v1/versions/",
            Tail.NAME,
            "secret.history",
            Access.needs(LIST, PATH),
            "Every version's metadata, newest first.",
            null,
            HistoryResponse.class,
            secrets::history),
        new Route(
            "GET",
            "/v1/metadata/",
            Tail.NAME,
            "secret.describe",
            Access.needs(LIST, PATH),
            "A secret's metadata.",
            null,
            MetadataResponse.class,
            secrets::describe),
        new Route(
            "POST",
            "/v1/stages/",
            Tail.NAME,
            "secret.stage",
            Access.needs(WRITE, PATH).and(Requirements.rollBack(secrets)).elevatedBy(ADMIN),
            "Moves a version to another stage.",
            StageRequest.class,
            WriteResponse.class,
            secrets::stage),
        new Route(
            "PUT",
            "/v1/consumers/",
            Tail.ID,
            "consumer.register",
            Access.needs(READ, new Subject.Anywhere()).and(Requirements.CONSUMER_SECRETS),
            "Registers a consumer (id: 1 to 64 of A-Z a-z 0-9 . _ -) or sends its heartbeat: the"
                + " versions it uses and accepts of each secret it names, live for ttl_seconds (10"
                + " to 3600). An id belongs to the token that registered it; another token gets"
                + " 409. Registrations and changes are audited, heartbeats are not.",
            ConsumerRequest.class,
            ConsumerInfo.class,
            consumers::put),
        new Route(
            "DELETE",
            "/v1/consumers/",
            Tail.ID,
            "consumer.depart",
            Access.anyToken(),
            "The calling token's consumer departs (removed: false when there was none); another"
                + " token's gets 409.",
            null,
            ConsumerDeparted.class,
            consumers::delete),
        new Route(
            "GET",
            "/v1/consumers",
            Tail.NONE,
            "consumer.list",
            Access.needs(READ, new Subject.Anywhere()).and(Requirements.LISTED_SECRET),
            "The live consumers that name ?secret=, each with the versions of it that it uses and"
                + " accepts.",
            null,
            ConsumerListResponse.class,
            consumers::list),
        new Route(
            "POST",
            "/v1/tokens",
            Tail.NONE,
            "token.create",
            Access.needs(ADMIN, new Subject.Anywhere()).and(Requirements.NEW_GRANTS),
            "Creates a token; the answer is the only time the token is shown.",
            TokenCreateRequest.class,
            TokenCreated.class,
            tokens::create),
        new Route(
            "POST",
            "/v1/tokens/orphan",
            Tail.NONE,
            "token.orphan",
            Access.needs(ADMIN, EVERYTHING),
            "Creates a token with no creator: revoking or the expiry of the token that made it"
                + " leaves it valid. The answer is the only time the token is shown.",
            TokenCreateRequest.class,
            TokenCreated.class,
            tokens::createOrphan),
        new Route(
            "POST",
            "/v1/tokens/self/renew",
            Tail.NONE,
            "token.renew",
            Access.anyToken(),
            "Extends the calling token (only it) by its original lifetime, never past the expiry of"
                + " the token that made it; 409 for a token that does not expire.",
            null,
            TokenRenewed.class,
            tokens::renew),
        new Route(
            "GET",
            "/v1/tokens",
            Tail.NONE,
            "token.list",
            Access.needs(ADMIN, EVERYTHING),
            "Every token's metadata (never the token).",
            null,
            TokenListResponse.class,
            tokens::list),
        new Route(
            "DELETE",
            "/v1/tokens/",
            Tail.ID,
            "token.revoke",
            Access.needs(ADMIN, EVERYTHING),
            "Revokes a token and every token it made, at once; refused when that would leave no"
                + " valid admin:* token.",
            null,
            TokenInfo.class,
            tokens::revoke),
        new Route(
            "PUT",
            "/v1/rules/",
            Tail.NAME,
            "rule.set",
            Access.needs(ADMIN, PATH).and(Requirements.RULE_SECRETS),
            "Sets the secret's rotation rule; the first rotation is due a period after the current version was made.",
            RuleBody.class,
            RuleResponse.class,
            rotations::putRule),
        new Route(
            "GET",
            "/v1/rules/",
            Tail.NAME,
            "rule.show",
            Access.needs(ADMIN, PATH),
            "The secret's rotation rule and when it is next due.",
            null,
            RuleResponse.class,
            rotations::getRule),
        new Route(
            "DELETE",
            "/v1/rules/",
            Tail.NAME,
            "rule.clear",
            Access.needs(ADMIN, PATH),
            "Removes the secret's rotation rule.",
            null,
            RuleResponse.class,
            rotations::deleteRule),
        new Route(
            "POST",
            "/v1/setup/",
            Tail.NAME,
            "target.setup",
            Access.needs(ADMIN, PATH).and(Requirements.storedRuleSecrets(rotations)),
            "Prepares the rule's target (database: the second user, the owner role, grant parity); re-runnable.",
            null,
            SetupResponse.class,
            rotations::setup),
        new Route(
            "POST",
            "/v1/rotate/",
            Tail.NAME,
            "rotation.request",
            Access.needs(ROTATE, PATH).and(Requirements.SUPPLIED_VALUE),
            "Starts a rotation now; steps that can run at once run in the request.",
            RotateRequest.class,
            RotationInfo.class,
            rotations::rotate),
        new Route(
            "GET",
            "/v1/rotations",
            Tail.NONE,
            "rotation.list",
            Access.needs(ROTATE, new Subject.Rows("secret")),
            "A secret's rotations (?secret=NAME), or those of every secret under ?prefix= (?state= a"
                + " rotation state, or active for any unfinished one), newest first, with their"
                + " checklists; ?limit= (default 50, at most 1000).",
            null,
            RotationListResponse.class,
            rotations::list),
        new Route(
            "GET",
            "/v1/rotations/",
            Tail.ID,
            "rotation.show",
            Access.needs(ROTATE, rotationId(rotations)),
            "One rotation.",
            null,
            RotationInfo.class,
            rotations::show),
        new Route(
            "POST",
            "/v1/rotations/",
            Tail.ID,
            "/cancel",
            "rotation.cancel",
            Access.needs(ROTATE, rotationId(rotations)),
            "Abandons a rotation that has not reached finish: it rolls back.",
            null,
            RotationInfo.class,
            rotations::cancel),
        new Route(
            "GET",
            "/v1/status",
            Tail.NONE,
            "status.read",
            Access.needs(LIST, new Subject.Rows("prefix")),
            "The status board: owner, strategy, last rotated, next due, grace, state; and this"
                + " server's scheduled backups, for a caller that may list every name. A page:"
                + " ?limit=N (1 to 10000) rows after the name ?after=, in name order, with next"
                + " and total; ?tree=true (?prefix= a folder ending in /) rows only for the"
                + " secrets directly in it, and its subfolders in folders.",
            null,
            StatusResponse.class,
            // The scheduled backups are server-wide: shown to list:* (or admin:*) only.
            ex -> rotations.status(ex, Authorizer.coversEveryName(ex.caller, LIST))),
        new Route(
            "POST",
            "/v1/backups",
            Tail.NONE,
            "backup.create",
            Access.needs(ADMIN, new Subject.Folder("prefix")),
            "Streams the backup document (docs/backup.md) of every secret below the folder ?prefix=:"
                + " each non-retired version with its value and SHA-256; each secret is audited as"
                + " a read of those versions. The caller encrypts it.",
            null,
            BackupDocumentStream.class,
            backups::backup),
        new Route(
            "POST",
            "/v1/restores",
            Tail.NONE,
            "backup.restore",
            Access.needs(ADMIN, new Subject.Anywhere())
                .and(
                    new Access.Extra(
                        "each secret it restores (?prefix=)",
                        ADMIN,
                        Access.On.NAMED,
                        Requirements::restoreNames))
                .and(
                    new Access.Extra(
                        "the secrets its restored rules name",
                        READ,
                        Access.On.NAMED,
                        Requirements::restoreRuleSecrets)),
            "Restores a backup document (the body, up to 512 MiB, read as a stream): checks all"
                + " of it first, then creates missing secrets with their versions and rules"
                + " (?skip_bad_rules=true restores a secret whose rule fails without it), leaves"
                + " unchanged ones, reports changed ones (?as_current=true makes the backup's value"
                + " current, the present one previous for ?grace=, default 24h;"
                + " ?allow_placeholder=true lets a placeholder through), 64 secrets per"
                + " transaction; ?dry_run=true only plans.",
            BackupDocumentStream.class,
            RestoreResponse.class,
            backups::restore),
        new Route(
            "POST",
            "/v1/seal",
            Tail.NONE,
            "server.seal",
            Access.needs(ADMIN, EVERYTHING),
            "Seals the server: drops the root key and every key unwrapped with it from memory;"
                + " every route but health and unseal answers 503 sealed until K shares unseal it"
                + " (a server started without --unseal-shares opens only by a restart).",
            null,
            SealResponse.class,
            seal::seal),
        new Route(
            "GET",
            "/v1/root-key",
            Tail.NONE,
            "root-key.status",
            Access.needs(ADMIN, EVERYTHING),
            "The root key in force and the state of its rotation (idle, rotating, failed), never"
                + " a key.",
            null,
            RootKeyStatus.class,
            rootKey::status),
        new Route(
            "POST",
            "/v1/root-key/rotate",
            Tail.NONE,
            "root-key.rotate",
            Access.needs(ADMIN, EVERYTHING),
            "Starts a root key rotation (or resumes the one recorded): the new key is written to"
                + " DATA/root.key.new, every data key is rewrapped in batches while reads and writes"
                + " go on, and at the end it becomes DATA/root.key; GET /v1/root-key tells the"
                + " progress. For a key rebuilt from shares, ?shares=N makes a new key and answers"
                + " its N shares (threshold: the server's --unseal-shares) once, in new_shares;"
                + " nothing changes until POST /v1/root-key/confirm. Refused (409) for a key from"
                + " KEYTURN_ROOT_KEY, or while other nodes share the store.",
            null,
            RootKeyStatus.class,
            rootKey::rotate),
        new Route(
            "POST",
            "/v1/root-key/confirm",
            Tail.NONE,
            "root-key.confirm",
            Access.needs(ADMIN, EVERYTHING),
            "Begins the rotation of a key rebuilt from shares to the new key that POST"
                + " /v1/root-key/rotate?shares=N made, once the shares given (at least the"
                + " threshold's number, read back from where they were saved) rebuild it; then as"
                + " a rotation of a file-held key, with the old key's shares unsealing too until"
                + " its end.",
            RootKeyConfirmRequest.class,
            RootKeyStatus.class,
            rootKey::confirm),
        new Route(
            "GET",
            "/v1/audit/verify",
            Tail.NONE,
            "audit.verify",
            Access.needs(ADMIN, EVERYTHING),
            "Checks the audit chain; ?checkpoint=SEQ:MAC also catches records deleted from the end.",
            null,
            AuditVerifyResponse.class,
            audit::verify),
        new Route(
            "GET",
            "/v1/audit/head",
            Tail.NONE,
            "audit.head",
            Access.needs(ADMIN, EVERYTHING),
            "The newest audit record as a checkpoint (SEQ:MAC) to keep elsewhere.",
            null,
            AuditHeadResponse.class,
            audit::head),
        new Route(
            "GET",
            "/v1/audit",
            Tail.NONE,
            "audit.read",
            Access.needs(ADMIN, new Subject.Rows("secret")),
            "Audit records, filtered by ?since=, ?secret=, ?action=, ?result= (ok, denied,"
                + " failed), ?token= (a token id), newest last. A token whose admin grants do not"
                + " cover every name gets only the records of secrets they cover.",
            null,
            AuditListResponse.class,
            audit::list));
  }
}
