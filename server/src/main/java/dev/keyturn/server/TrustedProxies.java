package dev.keyturn.server;

import static java.util.Objects.requireNonNull;

import dev.keyturn.core.KeyturnException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.eclipse.jetty.server.Request;

/**
 * Who the client of a request is, given the proxies the operator trusts ({@code server
 * --trust-proxy CIDR[,CIDR...]}). {@code X-Forwarded-For} is read only when the TCP peer is in a
 * trusted range; then every line of it, and every comma-separated entry of each line, is taken as
 * one list in order, walked right to left, skipping entries that are themselves trusted proxies.
 * The first untrusted address is the client. A proxy appends the address it saw to whatever the
 * client sent, so entries left of that point are the client's own words and never believed. An
 * entry that is not an IP address stops the walk at the nearest trusted hop. Addresses come back in
 * one canonical text form ({@code ::1}, never {@code 0:0:0:0:0:0:0:1}), so one client is one key
 * for throttling and audit. Immutable and thread-safe; never resolves a host name.
 */
final class TrustedProxies {
  static final TrustedProxies NONE = new TrustedProxies(List.of());

  private static final Pattern IPV4 = Pattern.compile("[0-9]{1,3}(\\.[0-9]{1,3}){3}");
  private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]{2,45}");

  private final List<Range> ranges;

  private TrustedProxies(List<Range> ranges) {
    this.ranges = List.copyOf(ranges);
  }

  /**
   * Parses {@code CIDR[,CIDR...]}: IPv4 or IPv6 ranges ({@code 10.0.0.0/8}, {@code fd00::/8}) or
   * single addresses.
   *
   * @throws KeyturnException.InvalidInput naming the entry that is not a range
   */
  static TrustedProxies parse(List<String> cidrs) {
    List<Range> ranges = new ArrayList<>();
    for (String cidr : cidrs) {
      for (String entry : cidr.split(",", -1)) {
        ranges.add(Range.parse(entry.strip()));
      }
    }
    return new TrustedProxies(ranges);
  }

  boolean isEmpty() {
    return ranges.isEmpty();
  }

  /** The client address of {@code request}. */
  String client(Request request) {
    return client(
        Request.getRemoteAddr(request), request.getHeaders().getValuesList("X-Forwarded-For"));
  }

  /** The client, given the TCP peer and the X-Forwarded-For header lines in the order received. */
  String client(String peer, List<String> forwardedLines) {
    Optional<InetAddress> peerAddress = address(peer);
    if (peerAddress.isEmpty()) {
      return peer;
    }
    InetAddress nearest = peerAddress.get();
    if (!trusted(nearest)) {
      return canonical(nearest);
    }
    List<String> hops = new ArrayList<>();
    for (String line : forwardedLines) {
      for (String hop : line.split(",", -1)) {
        hops.add(hop.strip());
      }
    }
    for (int i = hops.size() - 1; i >= 0; i--) {
      Optional<InetAddress> hop = address(hops.get(i));
      if (hop.isEmpty()) {
        break;
      }
      nearest = hop.get();
      if (!trusted(nearest)) {
        break;
      }
    }
    return canonical(nearest);
  }

  private boolean trusted(InetAddress address) {
    for (Range range : ranges) {
      if (range.contains(address)) {
        return true;
      }
    }
    return false;
  }

  /** An IP literal ({@code 1.2.3.4}, {@code 1.2.3.4:port}, {@code ::1}, {@code [::1]:port}). */
  static Optional<InetAddress> address(String text) {
    String s = text;
    if (s.startsWith("[")) {
      int close = s.indexOf(']');
      if (close < 0 || (close + 1 < s.length() && !s.substring(close + 1).matches(":[0-9]{1,5}"))) {
        return Optional.empty();
      }
      s = s.substring(1, close);
    } else if (s.indexOf(':') > 0 && s.indexOf(':') == s.lastIndexOf(':') && s.contains(".")) {
      s = s.substring(0, s.indexOf(':'));
    }
    return literal(s);
  }

  /** Parses an IP literal without any name lookup; empty when {@code s} is not one. */
  private static Optional<InetAddress> literal(String s) {
    boolean v4 = IPV4.matcher(s).matches();
    if (v4) {
      for (String part : s.split("\\.")) {
        if (Integer.parseInt(part) > 255) {
          return Optional.empty();
        }
      }
    } else if (!s.contains(":") || !IPV6.matcher(s).matches()) {
      return Optional.empty();
    }
    try {
      // Only digits, dots, colons and hex letters reach here: getByName parses, it never looks up.
      return Optional.of(InetAddress.getByName(s));
    } catch (UnknownHostException e) {
      return Optional.empty();
    }
  }

  static String canonical(InetAddress address) {
    if (address instanceof Inet4Address) {
      return address.getHostAddress();
    }
    byte[] b = address.getAddress();
    // RFC 5952: lower case, the longest run of zero groups (two or more) as "::".
    int[] groups = new int[8];
    for (int i = 0; i < 8; i++) {
      groups[i] = ((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff);
    }
    int bestStart = -1;
    int bestLength = 1;
    for (int i = 0; i < 8; ) {
      int j = i;
      while (j < 8 && groups[j] == 0) {
        j++;
      }
      if (j - i > bestLength) {
        bestStart = i;
        bestLength = j - i;
      }
      i = j == i ? i + 1 : j;
    }
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < 8; i++) {
      if (i == bestStart) {
        out.append("::");
        i += bestLength - 1;
        continue;
      }
      if (!out.isEmpty() && out.charAt(out.length() - 1) != ':') {
        out.append(':');
      }
      out.append(Integer.toHexString(groups[i]));
    }
    return out.toString();
  }

  @Override
  public String toString() {
    return ranges.toString();
  }

  /** One trusted range: an address and a prefix length. */
  private static final class Range {
    private final byte[] network;
    private final int prefix;
    private final String text;

    private Range(byte[] network, int prefix, String text) {
      this.network = requireNonNull(network, "network");
      this.prefix = prefix;
      this.text = text;
    }

    static Range parse(String entry) {
      int slash = entry.indexOf('/');
      String host = slash < 0 ? entry : entry.substring(0, slash);
      InetAddress address =
          literal(host)
              .orElseThrow(() ->
                  new KeyturnException.InvalidInput(
                      "--trust-proxy takes IP ranges (10.0.0.0/8, fd00::/8) or addresses,"
                          + " separated by commas; '"
                          + bounded(entry)
                          + "' is not one"));
      int bits = address.getAddress().length * 8;
      int prefix = bits;
      if (slash >= 0) {
        String length = entry.substring(slash + 1);
        if (!length.matches("[0-9]{1,3}") || Integer.parseInt(length) > bits) {
          throw new KeyturnException.InvalidInput(
              "--trust-proxy: the prefix length of '" + bounded(entry) + "' must be 0 to " + bits);
        }
        prefix = Integer.parseInt(length);
      }
      byte[] network = address.getAddress();
      for (int i = prefix; i < bits; i++) {
        if ((network[i / 8] & (0x80 >>> (i % 8))) != 0) {
          throw new KeyturnException.InvalidInput(
              "--trust-proxy: '"
                  + bounded(entry)
                  + "' has bits set after its prefix; give the network address of the range");
        }
      }
      return new Range(network, prefix, entry);
    }

    boolean contains(InetAddress address) {
      byte[] a = address.getAddress();
      if (a.length != network.length) {
        return false;
      }
      for (int i = 0; i < prefix; i++) {
        int mask = 0x80 >>> (i % 8);
        if ((a[i / 8] & mask) != (network[i / 8] & mask)) {
          return false;
        }
      }
      return true;
    }

    @Override
    public String toString() {
      return text;
    }

    private static String bounded(String s) {
      return s.length() > 50 ? s.substring(0, 50) + "..." : s;
    }
  }
}
