package dev.keyturn.server;

import static dev.keyturn.core.Capability.ADMIN;
import static dev.keyturn.core.Capability.READ;
import static dev.keyturn.core.Capability.WRITE;

import dev.keyturn.api.RotateRequest;
import dev.keyturn.api.RuleBody;
import dev.keyturn.api.StageRequest;
import dev.keyturn.api.TokenCreateRequest;
import dev.keyturn.backup.BackupSecret;
import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.RotationRule;
import dev.keyturn.core.RuleCodec;
import dev.keyturn.core.SecretName;
import dev.keyturn.core.Stage;
import dev.keyturn.server.Access.Extra;
import dev.keyturn.server.Access.Need;
import dev.keyturn.server.Access.On;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The requirements of the {@link Routes} table that depend on a request's body or on stored state,
 * each an {@link Extra} that {@link Authorizer} checks after the route's own capability.
 */
final class Requirements {
  private Requirements() {}

  /** The settings, in a rule's target and in its hooks, that name a secret the rule will use. */
  static final List<String> NAMED_SECRET_SETTINGS =
      List.of("admin", "signing-secret", "url-secret");

  /** A value supplied to a rotation is a write as well. */
  static final Extra SUPPLIED_VALUE =
      new Extra(
          "a supplied value",
          WRITE,
          On.SUBJECT,
          ex ->
              ex.optionalBody(RotateRequest.class)
                  .filter(r -> r.value() != null)
                  .map(r -> List.<Need>of(new Need.Holds(WRITE, ex.name())))
                  .orElse(List.of()));

  /** A rule uses the secrets it names on its author's behalf. */
  static final Extra RULE_SECRETS =
      new Extra(
          "the secrets the rule names",
          READ,
          On.NAMED,
          ex -> namedSecrets(ex.body(RuleBody.class)));

  /** A consumer reports what it holds only of secrets its token may read. */
  static final Extra CONSUMER_SECRETS =
      new Extra(
          "each secret the consumer names",
          READ,
          On.NAMED,
          ex ->
              ConsumersApi.named(ex.body(dev.keyturn.api.ConsumerRequest.class)).stream()
                  .<Need>map(n -> new Need.Holds(READ, n))
                  .toList());

  /** Who holds which versions of a secret is shown to those who may read it. */
  static final Extra LISTED_SECRET =
      new Extra(
          "the secret listed (?secret=)",
          READ,
          On.NAMED,
          ex -> List.of(new Need.Holds(READ, ConsumersApi.listed(ex))));

  /** Creating a token is delegation: the caller can only hand out what it holds. */
  static final Extra NEW_GRANTS =
      new Extra(
          "the new token's grants",
          ADMIN,
          On.GRANTS,
          ex ->
              TokensApi.grants(ex.body(TokenCreateRequest.class)).stream()
                  .<Need>map(Need.Covering::new)
                  .toList());

  /** Reading a retired version by number needs admin. */
  static Extra readRetired(SecretsApi secrets) {
    return new Extra(
        "a retired version by number",
        ADMIN,
        On.SUBJECT,
        ex -> {
          Optional<String> version = ex.query("version");
          if (version.isEmpty() || !version.get().matches("[1-9][0-9]{0,8}")) {
            return List.of();
          }
          boolean retired =
              secrets
                  .stageOf(ex.name(), Integer.parseInt(version.get()))
                  .map(s -> s == Stage.RETIRED)
                  .orElse(false);
          return retired ? List.of(new Need.Holds(ADMIN, ex.name())) : List.of();
        });
  }

  /** Making a previous version current again (a roll-back) needs admin. */
  static Extra rollBack(SecretsApi secrets) {
    return new Extra(
        "previous to current",
        ADMIN,
        On.SUBJECT,
        ex -> {
          StageRequest request = ex.body(StageRequest.class);
          if (request.version() == null
              || request.stage() == null
              || Stage.fromWire(request.stage()) != Stage.CURRENT) {
            return List.of();
          }
          boolean previous =
              secrets
                  .stageOf(ex.name(), request.version())
                  .map(s -> s == Stage.PREVIOUS)
                  .orElse(false);
          return previous ? List.of(new Need.Holds(ADMIN, ex.name())) : List.of();
        });
  }

  /** Setting up a target uses the secrets its stored rule names, the admin credential first. */
  static Extra storedRuleSecrets(RotationsApi rotations) {
    return new Extra(
        "the secrets the rule names",
        READ,
        On.NAMED,
        ex -> rotations.storedRule(ex.name()).map(Requirements::namedSecrets).orElse(List.of()));
  }

  /** {@code read} on every secret that {@code rule}'s target or hooks name. */
  static List<Need> namedSecrets(RuleBody rule) {
    List<Map<String, String>> places = new ArrayList<>();
    places.add(rule.target() == null ? Map.of() : rule.target());
    places.addAll(rule.hooks() == null ? List.of() : rule.hooks());
    Set<Need> needs = new LinkedHashSet<>();
    for (Map<String, String> settings : places) {
      for (String key : NAMED_SECRET_SETTINGS) {
        String value = settings == null ? null : settings.get(key);
        if (value != null) {
          needs.add(new Need.Holds(READ, secretName(key, value)));
        }
      }
    }
    return List.copyOf(needs);
  }

  private static SecretName secretName(String setting, String value) {
    try {
      return SecretName.of(value);
    } catch (KeyturnException.InvalidInput e) {
      throw HttpError.badRequest("the setting " + setting + " must name a secret");
    }
  }

  /**
   * A rule a restore brings back uses the secrets it names, as a rule set with PUT /v1/rules does
   * (checked as each secret streams in, {@link #admitRestored}, and declared here).
   */
  static List<Need> restoreRuleSecrets(Exchange ex) {
    Set<Need> needs = new LinkedHashSet<>();
    for (BackupSecret secret : BackupsApi.restoreSelection(ex, s -> admitRestored(ex, s))) {
      ruleSecrets(secret).forEach(n -> needs.add(new Need.Holds(READ, n)));
    }
    return List.copyOf(needs);
  }

  /**
   * A restore needs admin on every secret of its document below its ?prefix= (checked as each
   * secret streams in, {@link #admitRestored}, and declared here).
   */
  static List<Need> restoreNames(Exchange ex) {
    return BackupsApi.restoreSelection(ex, s -> admitRestored(ex, s)).stream()
        .<Need>map(s -> new Need.Holds(ADMIN, s.name()))
        .toList();
  }

  /**
   * Checks one secret of a restore's body as soon as it is read, before the next is: admin on its
   * name, and read on the secrets its rule names. A refusal stops the read of the body there.
   */
  static void admitRestored(Exchange ex, BackupSecret secret) {
    Authorizer.check(ex.caller, new Need.Holds(ADMIN, secret.name()));
    for (SecretName named : ruleSecrets(secret)) {
      Authorizer.check(ex.caller, new Need.Holds(READ, named));
    }
  }

  /**
   * The secrets that {@code secret}'s rule names in its target and hooks (those that are names; a
   * rule that does not read as one names none here, and is refused or skipped later).
   */
  static List<SecretName> ruleSecrets(BackupSecret secret) {
    if (secret.rule().isEmpty()) {
      return List.of();
    }
    RotationRule rule;
    try {
      rule = RuleCodec.fromDocument(secret.name(), secret.rule().get());
    } catch (KeyturnException.InvalidInput | IllegalArgumentException e) {
      return List.of();
    }
    List<Map<String, String>> places = new ArrayList<>();
    places.add(rule.target());
    rule.hooks().forEach(h -> places.add(h.settings()));
    List<SecretName> out = new ArrayList<>();
    for (Map<String, String> settings : places) {
      for (String key : Requirements.NAMED_SECRET_SETTINGS) {
        String value = settings.get(key);
        if (value != null) {
          try {
            out.add(SecretName.of(value));
          } catch (KeyturnException.InvalidInput e) {
            // Not a name: the rule's check refuses it before anything is written.
          }
        }
      }
    }
    return out;
  }
}
