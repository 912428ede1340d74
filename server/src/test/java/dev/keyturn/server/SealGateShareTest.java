package dev.keyturn.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.crypto.RootKey;
import dev.keyturn.core.crypto.Shamir;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The unseal body is read from its bytes, strictly, with no String holding the share. */
class SealGateShareTest {
  private final RootKey key = RootKey.generate(new SecureRandom());
  private final List<String> shares = key.split(3, 2, new SecureRandom());

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void share_fromAPlainBody_isTheShare() {
    Shamir.Share parsed =
        SealGate.share(bytes(" {\r\n \"share\" :\t\"" + shares.get(1) + "\" }\n"));

    assertThat(parsed.sameAs(Shamir.Share.parse(shares.get(1)))).isTrue();
    assertThat(parsed.index()).isEqualTo(2);
    assertThat(parsed.toString()).doesNotContain(shares.get(1).substring(2));
  }

  @Test
  void share_ofAnyOtherBody_isRefusedWithoutQuotingIt() {
    String s = shares.get(0);
    for (String body :
        List.of(
            "",
            "[\"" + s + "\"]",
            "{\"share\": \"" + s + "\", \"x\": 1}",
            "{\"x\": 1, \"share\": \"" + s + "\"}",
            "{\"share\": \"" + s.replace("-", "\\u002d") + "\"}",
            "{\"share\": \"" + s + "\"} trailing",
            "{\"share\": \"" + s + "\"",
            "{\"share\": null}",
            "{\"share\": \"" + s + "\u00e9\"}",
            "{\"SHARE\": \"" + s + "\"}",
            "{\"share\": \"" + s + "\"}{}")) {
      assertThatThrownBy(() -> SealGate.share(bytes(body)))
          .as(body)
          .isInstanceOf(KeyturnException.InvalidInput.class)
          .hasMessageNotContaining(s.substring(2, 20));
    }
  }
}
