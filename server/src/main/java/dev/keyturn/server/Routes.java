package dev.keyturn.server;

import dev.keyturn.api.AuditHeadResponse;
import dev.keyturn.api.AuditListResponse;
import dev.keyturn.api.AuditVerifyResponse;
import dev.keyturn.api.DeleteResponse;
import dev.keyturn.api.HistoryResponse;
import dev.keyturn.api.KeyringResponse;
import dev.keyturn.api.MetadataResponse;
import dev.keyturn.api.PutSecretRequest;
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
import dev.keyturn.api.WhoAmIResponse;
import dev.keyturn.api.WriteResponse;
import dev.keyturn.server.Route.Tail;
import java.util.List;

/**
 * The API's route table: every authenticated route, its audit action and capability. Dispatch,
 * audit records, {@code /v1/openapi.json} and the route test all read it, so they cannot drift
 * apart. Routes with a fixed path come before the prefix routes they share a start with.
 */
final class Routes {
  private Routes() {}

  static List<Route> table(
      SecretsApi secrets, TokensApi tokens, AuditApi audit, RotationsApi rotations) {
    return List.of(
        new Route(
            "GET",
            "/v1/whoami",
            Tail.NONE,
            "token.self",
            "any valid token",
            "The calling token's id, name, grants and expiry.",
            null,
            WhoAmIResponse.class,
            secrets::whoami),
        new Route(
            "GET",
            "/v1/secrets",
            Tail.NONE,
            "secret.list",
            "list",
            "Secret names and metadata under ?prefix=, paginated with ?page_token= and ?limit=.",
            null,
            SecretListResponse.class,
            secrets::list),
        new Route(
            "PUT",
            "/v1/secrets/",
            Tail.NAME,
            "secret.write",
            "write",
            "Stores a new version: value, value_json or generate; optional grace and stage.",
            PutSecretRequest.class,
            WriteResponse.class,
            secrets::put),
        new Route(
            "GET",
            "/v1/secrets/",
            Tail.NAME,
            "secret.read",
            "read",
            "One value: current, ?version=N (retired ones need admin) or ?stage=.",
            null,
            SecretValueResponse.class,
            secrets::read),
        new Route(
            "DELETE",
            "/v1/secrets/",
            Tail.NAME,
            "secret.delete",
            "admin",
            "Retires every version; ?destroy=true also erases the stored values.",
            null,
            DeleteResponse.class,
            secrets::delete),
        new Route(
            "GET",
            "/v1/keyrings/",
            Tail.NAME,
            "keyring.read",
            "read",
            "Every value valid now, newest first, each with its stage.",
            null,
            KeyringResponse.class,
            secrets::keyring),
        new Route(
            "GET",
            "/v1/versions/",
            Tail.NAME,
            "secret.history",
            "list",
            "Every version's metadata, newest first.",
            null,
            HistoryResponse.class,
            secrets::history),
        new Route(
            "GET",
            "/v1/metadata/",
            Tail.NAME,
            "secret.describe",
            "list",
            "A secret's metadata.",
            null,
            MetadataResponse.class,
            secrets::describe),
        new Route(
            "POST",
            "/v1/stages/",
            Tail.NAME,
            "secret.stage",
            "write (previous to current: admin)",
            "Moves a version to another stage.",
            StageRequest.class,
            WriteResponse.class,
            secrets::stage),
        new Route(
            "POST",
            "/v1/tokens",
            Tail.NONE,
            "token.create",
            "an admin grant covering every new grant",
            "Creates a token; the answer is the only time the token is shown.",
            TokenCreateRequest.class,
            TokenCreated.class,
            tokens::create),
        new Route(
            "GET",
            "/v1/tokens",
            Tail.NONE,
            "token.list",
            "admin:*",
            "Every token's metadata (never the token).",
            null,
            TokenListResponse.class,
            tokens::list),
        new Route(
            "DELETE",
            "/v1/tokens/",
            Tail.ID,
            "token.revoke",
            "admin:*",
            "Revokes a token at once.",
            null,
            TokenInfo.class,
            tokens::revoke),
        new Route(
            "PUT",
            "/v1/rules/",
            Tail.NAME,
            "rule.set",
            "admin",
            "Sets the secret's rotation rule; the first rotation is due a period after the current version was made.",
            RuleBody.class,
            RuleResponse.class,
            rotations::putRule),
        new Route(
            "GET",
            "/v1/rules/",
            Tail.NAME,
            "rule.show",
            "admin",
            "The secret's rotation rule and when it is next due.",
            null,
            RuleResponse.class,
            rotations::getRule),
        new Route(
            "DELETE",
            "/v1/rules/",
            Tail.NAME,
            "rule.clear",
            "admin",
            "Removes the secret's rotation rule.",
            null,
            RuleResponse.class,
            rotations::deleteRule),
        new Route(
            "POST",
            "/v1/setup/",
            Tail.NAME,
            "target.setup",
            "admin",
            "Prepares the rule's target (database: the second user, the owner role, grant parity); re-runnable.",
            null,
            SetupResponse.class,
            rotations::setup),
        new Route(
            "POST",
            "/v1/rotate/",
            Tail.NAME,
            "rotation.request",
            "rotate",
            "Starts a rotation now; steps that can run at once run in the request.",
            RotateRequest.class,
            RotationInfo.class,
            rotations::rotate),
        new Route(
            "GET",
            "/v1/rotations",
            Tail.NONE,
            "rotation.list",
            "rotate",
            "A secret's rotations (?secret=NAME), newest first, with their checklists.",
            null,
            RotationListResponse.class,
            rotations::list),
        new Route(
            "GET",
            "/v1/rotations/",
            Tail.ID,
            "rotation.show",
            "rotate",
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
            "rotate",
            "Abandons a rotation that has not reached finish: it rolls back.",
            null,
            RotationInfo.class,
            rotations::cancel),
        new Route(
            "GET",
            "/v1/status",
            Tail.NONE,
            "status.read",
            "list (rows filtered by it)",
            "The status board: owner, strategy, last rotated, next due, grace, state.",
            null,
            StatusResponse.class,
            rotations::status),
        new Route(
            "GET",
            "/v1/audit/verify",
            Tail.NONE,
            "audit.verify",
            "admin:*",
            "Checks the audit chain; ?checkpoint=SEQ:MAC also catches records deleted from the end.",
            null,
            AuditVerifyResponse.class,
            audit::verify),
        new Route(
            "GET",
            "/v1/audit/head",
            Tail.NONE,
            "audit.head",
            "admin:*",
            "The newest audit record as a checkpoint (SEQ:MAC) to keep elsewhere.",
            null,
            AuditHeadResponse.class,
            audit::head),
        new Route(
            "GET",
            "/v1/audit",
            Tail.NONE,
            "audit.read",
            "admin:*",
            "Audit records, filtered by ?since=, ?secret=, ?action=, newest last.",
            null,
            AuditListResponse.class,
            audit::list));
  }
}
