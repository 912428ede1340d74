package dev.keyturn.client.internal;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Whether a URL's host is this machine: {@code localhost} or a loopback address literal ({@code
 * 127.0.0.0/8}, {@code ::1}). Other names are not looked up: that would cost a DNS query, and a
 * name is not this machine's to vouch for.
 */
public final class LoopbackHost {
  private LoopbackHost() {}

  /** True for {@code localhost} and loopback literals, bracketed IPv6 included; false for null. */
  public static boolean is(String host) {
    if (host == null) {
      return false;
    }
    if (host.equalsIgnoreCase("localhost")) {
      return true;
    }
    String literal =
        host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    if (literal.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}")) {
      return literal.startsWith("127.");
    }
    if (!literal.matches("[0-9A-Fa-f:.]+") || !literal.contains(":")) {
      return false;
    }
    try {
      // only hex digits, ':' and '.': parsed as an IPv6 literal, never looked up
      return InetAddress.getByName(literal).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }
}
