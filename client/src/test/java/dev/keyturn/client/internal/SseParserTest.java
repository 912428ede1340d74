package dev.keyturn.client.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SseParserTest {
  private final List<String> got = new ArrayList<>();
  private final SseParser parser =
      new SseParser(
          new SseParser.Sink() {
            @Override
            public void event(String lastEventId, String type, String data) {
              got.add(lastEventId + "|" + type + "|" + data);
            }

            @Override
            public void comment(String text) {
              got.add(":" + text);
            }
          });

  private void feed(String... chunks) {
    for (String chunk : chunks) {
      parser.feed(ByteBuffer.wrap(chunk.getBytes(StandardCharsets.UTF_8)));
    }
  }

  @Test
  void fieldsCommentsAndBlankLines_giveEventsInOrder() {
    feed(
        "id: 42\nevent: version\ndata: {\"name\":\"a\"}\n\n",
        ": keep-alive\n\n",
        "id: 43\nevent: reset\ndata: {}\n\n",
        ": ready\n\n");

    assertThat(got)
        .containsExactly("42|version|{\"name\":\"a\"}", ":keep-alive", "43|reset|{}", ":ready");
  }

  @Test
  void linesSplitAcrossChunks_andCrLfSplitBetweenChunks_parseAsOne() {
    feed("id: 7\r", "\nevent: ver", "sion\r\nda", "ta: x\r", "\n\r", "\n");

    assertThat(got).containsExactly("7|version|x");
  }

  @Test
  void multipleDataLines_joinWithNewline_missingTypeIsMessage_idIsKeptAcrossEvents() {
    feed("id: 9\ndata: a\ndata:b\ndata\n\n", "data: c\r\r");

    assertThat(got).containsExactly("9|message|a\nb\n", "9|message|c");
  }

  @Test
  void eventWithoutData_isNotDispatched_butItsIdIsKept_andNulInIdIsIgnored() {
    feed("id: 5\nevent: version\n\n", "id: 6\u0000\ndata: x\n\n", "retry: 10\nfoo: bar\n\n");

    assertThat(got).containsExactly("5|message|x");
  }

  @Test
  void nonAsciiSplitInsideACharacter_decodesWhole() {
    byte[] bytes = "data: é€\n\n".getBytes(StandardCharsets.UTF_8);
    parser.feed(ByteBuffer.wrap(bytes, 0, 8));
    parser.feed(ByteBuffer.wrap(bytes, 8, bytes.length - 8));

    assertThat(got).containsExactly("|message|é€");
  }

  @Test
  void overlongLine_isAnError() {
    byte[] big = new byte[SseParser.MAX_LINE + 1];
    java.util.Arrays.fill(big, (byte) 'a');

    assertThatThrownBy(() -> parser.feed(ByteBuffer.wrap(big)))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void manyDataLinesWithoutABlankLine_pastTheLimit_isAnError() {
    // Each line is short; a hostile stream that never ends its event must not grow it forever.
    String line = "data: " + "a".repeat(64 * 1024) + "\n";
    byte[] chunk = line.getBytes(StandardCharsets.UTF_8);

    assertThatThrownBy(
            () -> {
              for (int i = 0; i <= SseParser.MAX_LINE / (64 * 1024) + 1; i++) {
                parser.feed(ByteBuffer.wrap(chunk));
              }
            })
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("event");
    assertThat(got).isEmpty();
  }
}
