package dev.keyturn.core;

import static java.util.Objects.requireNonNull;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The checks that {@link dev.keyturn.core.spi.Target#validate} and {@link
 * dev.keyturn.core.spi.Hook#validate} make of a rule's settings, with refusals that name the
 * setting and never repeat its value. Immutable.
 */
public final class SettingChecks {
  private final String what;
  private final Map<String, String> settings;

  private SettingChecks(String what, Map<String, String> settings) {
    this.what = requireNonNull(what, "what");
    this.settings = Map.copyOf(settings);
  }

  /** Checks of the rule's target settings. */
  public static SettingChecks target(RotationRule rule) {
    return new SettingChecks("target " + rule.targetType(), rule.target());
  }

  /** Checks of a hook's settings. */
  public static SettingChecks hook(HookSpec hook) {
    return new SettingChecks("the " + hook.label(), hook.settings());
  }

  /** Refuses settings other than {@code keys}, so that a typo is not a silent default. */
  public SettingChecks only(String... keys) {
    Set<String> known = Set.of(keys);
    for (String key : settings.keySet()) {
      if (!known.contains(key)) {
        throw new KeyturnException.InvalidInput(
            what
                + " has no setting "
                + (key.matches("[A-Za-z0-9._-]{1,40}") ? "'" + key + "'" : "of that name")
                + (keys.length == 0
                    ? " (it takes none)"
                    : " (it takes " + String.join(", ", keys) + ")"));
      }
    }
    return this;
  }

  /** The setting's value. */
  public String required(String key) {
    String value = settings.get(key);
    if (value == null || value.isBlank()) {
      throw new KeyturnException.InvalidInput(what + " needs '" + key + "'");
    }
    return value;
  }

  public Optional<String> optional(String key) {
    return Optional.ofNullable(settings.get(key));
  }

  /** A whole number in {@code [min, max]}, if set. */
  public SettingChecks integer(String key, int min, int max) {
    optional(key)
        .ifPresent(v -> {
          if (!v.matches("[0-9]{1,9}") || Integer.parseInt(v) < min || Integer.parseInt(v) > max) {
            throw invalid(key, "a whole number from " + min + " to " + max);
          }
        });
    return this;
  }

  /** One of {@code values}, if set. */
  public SettingChecks oneOf(String key, List<String> values) {
    optional(key)
        .ifPresent(v -> {
          if (!values.contains(v)) {
            throw invalid(
                key,
                String.join(", ", values.subList(0, values.size() - 1))
                    + " or "
                    + values.get(values.size() - 1));
          }
        });
    return this;
  }

  /** A duration ({@code 30s}, {@code 5m}) from one second to {@code max}, if set. */
  public SettingChecks duration(String key, Duration max) {
    optional(key)
        .ifPresent(v -> {
          Duration d;
          try {
            d = Durations.parse(v);
          } catch (KeyturnException.InvalidInput e) {
            throw invalid(key, "a duration such as 30s or 5m");
          }
          if (d.compareTo(Duration.ofSeconds(1)) < 0 || d.compareTo(max) > 0) {
            throw invalid(key, "from 1s to " + Durations.format(max));
          }
        });
    return this;
  }

  /** An absolute {@code http} or {@code https} URL with a host, if set. */
  public SettingChecks httpUrl(String key) {
    optional(key)
        .ifPresent(v -> {
          URI uri;
          try {
            uri = new URI(v);
          } catch (java.net.URISyntaxException e) {
            throw invalid(key, "an http or https URL");
          }
          if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))
              || uri.getHost() == null) {
            throw invalid(key, "an http or https URL");
          }
        });
    return this;
  }

  /** A host name or address: letters, digits, '.', '-', ':' (IPv6), at most 253, if set. */
  public SettingChecks host(String key) {
    optional(key)
        .ifPresent(v -> {
          if (!v.matches("[A-Za-z0-9.:-]{1,253}")) {
            throw invalid(key, "a host name or address");
          }
        });
    return this;
  }

  /** {@code true} or {@code false}, if set. */
  public SettingChecks bool(String key) {
    return oneOf(key, List.of("true", "false"));
  }

  /** The name of a Keyturn secret, if set. */
  public SettingChecks secretName(String key) {
    optional(key)
        .ifPresent(v -> {
          try {
            SecretName.of(v);
          } catch (KeyturnException.InvalidInput e) {
            throw invalid(key, "the name of a secret");
          }
        });
    return this;
  }

  private KeyturnException.InvalidInput invalid(String key, String must) {
    return new KeyturnException.InvalidInput(what + ": '" + key + "' must be " + must);
  }
}
