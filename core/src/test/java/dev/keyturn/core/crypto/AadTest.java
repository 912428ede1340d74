package dev.keyturn.core.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class AadTest {
  @Test
  void of_fields_eachLengthPrefixedBigEndianInUtf8() {
    byte[] aad = Aad.of("ab", "", "é");

    assertThat(HexFormat.of().formatHex(aad)).isEqualTo("00000002616200000000" + "00000002c3a9");
  }

  @Test
  void forValue_sameFieldsAsWrittenBefore() {
    byte[] aad = Aad.forValue(7, "s", 3);

    assertThat(HexFormat.of().formatHex(aad))
        .isEqualTo(
            "00000010"
                + HexFormat.of().formatHex("keyturn/value/v2".getBytes())
                + "0000000137"
                + "0000000173"
                + "0000000133");
  }
}
