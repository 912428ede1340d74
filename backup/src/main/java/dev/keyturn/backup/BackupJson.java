package dev.keyturn.backup;

import java.util.Map;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/** The JSON mapper backups are read and written with. */
final class BackupJson {
  static final JsonMapper MAPPER = JsonMapper.builder().build();
  static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {};

  private BackupJson() {}
}
