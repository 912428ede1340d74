package dev.keyturn.testing;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link SettingStore} must have (store-wide settings). A backend's test
 * extends this class and returns a new, empty store from {@link #newStore()}; the in-memory fake,
 * SQLite and PostgreSQL all run it.
 */
public abstract class SettingStoreContract extends StoreFixture {
  @Test
  void settings_writeOnceAndRead() {
    assertThat(store.settings().setting("root-key-id")).isEmpty();

    String first = store.settings().settingIfAbsent("root-key-id", "rk-1");
    String second = store.settings().settingIfAbsent("root-key-id", "rk-2");

    assertThat(first).isEqualTo("rk-1");
    assertThat(second).isEqualTo("rk-1");
    assertThat(store.settings().setting("root-key-id")).contains("rk-1");
  }
}
