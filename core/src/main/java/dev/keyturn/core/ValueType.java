package dev.keyturn.core;

/** How a version's bytes are to be read: UTF-8 text, or a JSON object in UTF-8. */
public enum ValueType {
  STRING,
  JSON;

  public String wireName() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }

  public static ValueType fromWire(String name) {
    for (ValueType type : values()) {
      if (type.wireName().equals(name)) {
        return type;
      }
    }
    throw new KeyturnException.InvalidInput("unknown value type (string, json)");
  }
}
