package dev.keyturn.core.spi;

import java.util.Optional;

/**
 * Store-wide settings, such as the id of the root key that the data keys are wrapped with. One role
 * of a {@link Store}; checked by {@code SettingStoreContract}. Thread-safe.
 */
public interface SettingStore {

  /** The value of {@code key}, if set. */
  Optional<String> setting(String key);

  /** Writes {@code value} for {@code key} unless it is set; returns the value in force after. */
  String settingIfAbsent(String key, String value);
}
