package dev.keyturn.keyring;

/** Small helpers shared by the JWT classes. */
final class Jwts {
  private Jwts() {}

  /**
   * {@code text} quoted for an error message, cut to 40 characters and with control characters
   * replaced, so that input echoed in a message cannot forge a second line or flood a log.
   */
  static String printable(String text) {
    StringBuilder out = new StringBuilder("'");
    for (int i = 0; i < text.length() && i < 40; i++) {
      char c = text.charAt(i);
      out.append(c < 0x20 || c == 0x7f ? '?' : c);
    }
    return out.append(text.length() > 40 ? "...'" : "'").toString();
  }
}
