package dev.keyturn.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Core's small JSON reader and writer: strict, exact, and silent about the input. */
class JsonTest {
  private static final String CANARY = "canary-json-6021";

  private static Object parse(String text) {
    return Json.parse(text.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void parse_everyKindOfValue_roundTripsCompactly() {
    String text =
        "{\"s\":\"a\\\"b\\\\c\\n\\u00e9\\ud83d\\ude00/\",\"n\":-12.50e+3,\"i\":0,\"t\":true,"
            + "\"f\":false,\"z\":null,\"a\":[1,[],{}],\"o\":{\"k\":\"v\"}}";

    Object value = parse(" \n" + text + "\t ");

    assertThat(value).isInstanceOf(Map.class);
    Map<?, ?> map = (Map<?, ?>) value;
    assertThat(List.copyOf(map.keySet()))
        .isEqualTo(List.of("s", "n", "i", "t", "f", "z", "a", "o"));
    assertThat(map.get("s")).isEqualTo("a\"b\\c\né😀/");
    assertThat(map.get("n")).isEqualTo(new Json.Number("-12.50e+3"));
    assertThat(map.get("z")).isSameAs(Json.NULL);
    assertThat(map.get("a")).isEqualTo(List.of(new Json.Number("1"), List.of(), Map.of()));
    assertThat(Json.write(value))
        .isEqualTo(
            "{\"s\":\"a\\\"b\\\\c\\né😀/\",\"n\":-12.50e+3,\"i\":0,\"t\":true,\"f\":false,"
                + "\"z\":null,\"a\":[1,[],{}],\"o\":{\"k\":\"v\"}}");
    assertThat(parse(Json.write(value))).isEqualTo(value);
  }

  @Test
  void write_controlCharacters_areEscaped() {
    assertThat(Json.write("a\u0001\r\t\b\f")).isEqualTo("\"a\\u0001\\r\\t\\b\\f\"");
  }

  @Test
  void parse_invalidInput_isRefusedWithoutQuotingIt() {
    String[] bad = {
      "",
      "{",
      "{\"" + CANARY + "\"}",
      "{\"a\":\"" + CANARY + "\",\"a\":1}",
      "{\"a\":" + CANARY + "}",
      "[\"" + CANARY + "\",]",
      "\"" + CANARY,
      "\"" + CANARY + "\\x\"",
      "\"" + CANARY + "\\u12\"",
      "\"" + CANARY + "\u0001\"",
      "01",
      "1.",
      "-",
      "tru",
      "{} {}",
      "[".repeat(100) + "]".repeat(100),
    };
    for (String text : bad) {
      assertThatThrownBy(() -> parse(text))
          .as(text)
          .isInstanceOf(IllegalArgumentException.class)
          .satisfies(e -> assertThat(e.getMessage()).doesNotContain(CANARY));
    }
    assertThatThrownBy(() -> Json.parse(new byte[] {'"', (byte) 0xc3, '"'}))
        .hasMessage("not valid UTF-8");
  }

  @Test
  void number_intValue_onlyForPlainWholeNumbersThatFit() {
    assertThat(new Json.Number("5432").intValue()).hasValue(5432);
    assertThat(new Json.Number("-1").intValue()).hasValue(-1);
    assertThat(new Json.Number("5432.0").intValue()).isEmpty();
    assertThat(new Json.Number("1e3").intValue()).isEmpty();
    assertThat(new Json.Number("99999999999").intValue()).isEmpty();
  }
}
