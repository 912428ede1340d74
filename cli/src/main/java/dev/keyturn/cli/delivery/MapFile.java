package dev.keyturn.cli.delivery;

import dev.keyturn.core.KeyturnException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.exc.UnrecognizedPropertyException;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * A mapping kept beside a project's code ({@code --map keyturn.map.yaml}); the schema is in
 * docs/delivery.md:
 *
 * <pre>
 * paths: [app/production]          # optional
 * keyring: false                   # optional: every secret adds VAR_FALLBACKS and VAR_OLD
 * secrets:                         # optional
 *   - name: app/production/DATABASE
 *     var: DATABASE_URL            # optional: default the name's last segment
 *     as: url                      # optional: value (default), url, jdbc or keyring
 *     optional: false              # optional: absent only warns
 * </pre>
 *
 * Unknown fields are refused, so a misspelt field never silently maps nothing.
 */
public final class MapFile {
  private static final YAMLMapper YAML =
      YAMLMapper.builder().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();

  private MapFile() {}

  /** The file's fields. */
  record Body(List<String> paths, Boolean keyring, List<Secret> secrets) {}

  /** One entry of {@code secrets}. */
  record Secret(String name, String var, String as, Boolean optional) {}

  /**
   * Reads {@code file}.
   *
   * @throws KeyturnException.InvalidInput naming the file and what is wrong with it
   */
  public static MappingSpec read(Path file) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new KeyturnException.InvalidInput(file + ": no such file");
    } catch (IOException e) {
      throw new KeyturnException.InvalidInput("cannot read " + file + ": " + e.getMessage());
    }
    return parse(bytes, file.toString());
  }

  /**
   * Reads a mapping in the map file's schema from {@code bytes} (YAML or JSON), as found in {@code
   * where} (named in every error).
   *
   * @throws KeyturnException.InvalidInput naming {@code where} and what is wrong
   */
  public static MappingSpec parse(byte[] bytes, String where) {
    Object file = where;
    Body body;
    try {
      body = YAML.readValue(bytes, Body.class);
    } catch (UnrecognizedPropertyException e) {
      throw new KeyturnException.InvalidInput(
          file + ": unknown field '" + e.getPropertyName() + "' (see docs/delivery.md)");
    } catch (JacksonException e) {
      throw new KeyturnException.InvalidInput(
          file + " is not a map file (YAML): " + e.getOriginalMessage());
    }
    if (body == null) {
      throw new KeyturnException.InvalidInput(file + ": empty map file");
    }
    List<MappingSpec.Entry> entries = new ArrayList<>();
    for (Secret secret : body.secrets() == null ? List.<Secret>of() : body.secrets()) {
      if (secret == null || secret.name() == null) {
        throw new KeyturnException.InvalidInput(file + ": every entry of secrets needs a name");
      }
      MappingSpec.checkName(secret.name(), file.toString());
      MappingSpec.Kind kind =
          switch (secret.as() == null ? "value" : secret.as()) {
            case "value" -> MappingSpec.Kind.VALUE;
            case "url" -> MappingSpec.Kind.URL;
            case "jdbc" -> MappingSpec.Kind.JDBC;
            case "keyring" -> MappingSpec.Kind.KEYRING;
            default ->
                throw new KeyturnException.InvalidInput(
                    file + ": " + secret.name() + ": 'as' is value, url, jdbc or keyring");
          };
      entries.add(
          new MappingSpec.Entry(
              secret.name(),
              Optional.ofNullable(secret.var()),
              kind,
              Boolean.TRUE.equals(secret.optional())));
    }
    return new MappingSpec(
        body.paths() == null ? List.of() : body.paths(),
        entries,
        Boolean.TRUE.equals(body.keyring()));
  }
}
