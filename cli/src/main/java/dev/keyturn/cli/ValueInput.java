package dev.keyturn.cli;

import dev.keyturn.core.KeyturnException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** How {@code keyturn put} turns input bytes into a value; shared with {@link FastCli}. */
final class ValueInput {
  private ValueInput() {}

  /** {@code bytes} without one trailing newline (LF or CRLF), unless {@code keep}. */
  static byte[] trimNewline(byte[] bytes, boolean keep) {
    if (keep) {
      return bytes;
    }
    int end = bytes.length;
    if (end > 0 && bytes[end - 1] == '\n') {
      end--;
      if (end > 0 && bytes[end - 1] == '\r') {
        end--;
      }
    }
    return Arrays.copyOf(bytes, end);
  }

  /** The bytes as strict UTF-8 text; the error names {@code source}, never the bytes. */
  static String utf8(byte[] bytes, String source) {
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      throw new KeyturnException.InvalidInput(
          source
              + " is not UTF-8 text; store binary material base64-encoded"
              + " (e.g. base64 -w0 FILE | keyturn put NAME --stdin)");
    }
  }
}
