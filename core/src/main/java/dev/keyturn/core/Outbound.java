package dev.keyturn.core;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Where the server may connect on behalf of a rule: the operator's outbound policy (DESIGN §4,
 * docs/security.md "Who decides what"). Destinations a scoped admin chose (hook and webhook URLs,
 * database and SMTP hosts) are checked against it; rules set by an {@code admin:*} token and the
 * operator's own settings use {@link #unrestricted()}.
 *
 * <p>An address is allowed when the operator's allowlist names it (a CIDR or an address), or names
 * the host as written (an exact name, or {@code *.example.com}), or when it is public and public
 * destinations are allowed. Loopback, unspecified, link-local, private, shared (100.64/10), unique
 * local, multicast, reserved and address-embedding (NAT64, 6to4, Teredo) ranges are never public.
 *
 * <p>The check is made on the resolved address at connect time: {@link #connect} resolves the name,
 * checks each address and connects to that very address, and {@link #socket} checks the address a
 * driver resolved just before it connects, so a name that resolves differently later (DNS
 * rebinding) gains nothing. Immutable and thread-safe.
 */
public final class Outbound {
  private static final List<Cidr> NOT_PUBLIC =
      List.of(
          Cidr.parse("0.0.0.0/8"),
          Cidr.parse("10.0.0.0/8"),
          Cidr.parse("100.64.0.0/10"),
          Cidr.parse("127.0.0.0/8"),
          Cidr.parse("169.254.0.0/16"),
          Cidr.parse("172.16.0.0/12"),
          Cidr.parse("192.0.0.0/24"),
          Cidr.parse("192.168.0.0/16"),
          Cidr.parse("198.18.0.0/15"),
          Cidr.parse("224.0.0.0/3"),
          Cidr.parse("::/96"),
          Cidr.parse("::ffff:0:0/96"),
          Cidr.parse("64:ff9b::/96"),
          Cidr.parse("2001::/32"),
          Cidr.parse("2002::/16"),
          Cidr.parse("fc00::/7"),
          Cidr.parse("fe80::/10"),
          Cidr.parse("fec0::/10"),
          Cidr.parse("ff00::/8"));

  private static final Outbound UNRESTRICTED = new Outbound(true, List.of(), List.of(), true);

  private final boolean unrestricted;
  private final List<Cidr> cidrs;
  private final List<String> hosts;
  private final boolean allowPublic;

  private Outbound(
      boolean unrestricted, List<Cidr> cidrs, List<String> hosts, boolean allowPublic) {
    this.unrestricted = unrestricted;
    this.cidrs = List.copyOf(cidrs);
    this.hosts = List.copyOf(hosts);
    this.allowPublic = allowPublic;
  }

  /** No limit: for the operator's own destinations and rules set by an {@code admin:*} token. */
  public static Outbound unrestricted() {
    return UNRESTRICTED;
  }

  /** Public destinations only: the default when the operator lists nothing. */
  public static Outbound publicOnly() {
    return of(List.of(), true);
  }

  /**
   * The operator's policy.
   *
   * @param allow addresses ({@code 10.1.2.3}), CIDRs ({@code 10.0.0.0/8}, {@code fd00::/8}), host
   *     names ({@code db.internal}) or host suffixes ({@code *.corp.example})
   * @param allowPublic whether public addresses are allowed besides the listed ones
   * @throws KeyturnException.InvalidInput naming the entry that is neither
   */
  public static Outbound of(List<String> allow, boolean allowPublic) {
    List<Cidr> cidrs = new ArrayList<>();
    List<String> hosts = new ArrayList<>();
    for (String entry : allow) {
      String e = requireNonNull(entry, "entry").strip().toLowerCase(Locale.ROOT);
      if (e.contains("/") || e.matches("[0-9.]+") || e.contains(":")) {
        cidrs.add(Cidr.parse(e));
      } else if (e.matches("(\\*\\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)*[a-z0-9-]{1,63}")) {
        hosts.add(e);
      } else {
        throw new KeyturnException.InvalidInput(
            "outbound allow entry '" + entry + "' is not an address, a CIDR or a host name");
      }
    }
    return new Outbound(false, cidrs, hosts, allowPublic);
  }

  public boolean isUnrestricted() {
    return unrestricted;
  }

  /** Whether {@code address}, reached by the name {@code host} as written, may be connected to. */
  public boolean allows(String host, InetAddress address) {
    if (unrestricted) {
      return true;
    }
    String name = host.toLowerCase(Locale.ROOT);
    for (String h : hosts) {
      if (h.startsWith("*.") ? name.endsWith(h.substring(1)) : name.equals(h)) {
        return true;
      }
    }
    for (Cidr c : cidrs) {
      if (c.contains(address)) {
        return true;
      }
    }
    return allowPublic && isPublic(address);
  }

  /** Whether {@code address} is on the public internet (none of the ranges above). */
  public static boolean isPublic(InetAddress address) {
    for (Cidr c : NOT_PUBLIC) {
      if (c.contains(address)) {
        return false;
      }
    }
    return true;
  }

  /**
   * Resolves {@code host} and connects to the first of its addresses this policy allows, checking
   * each address immediately before connecting to it.
   *
   * @throws KeyturnException.Forbidden if no address of the host is allowed (the message names
   *     neither the host's addresses nor why, so that the policy cannot be used to map a network)
   * @throws IOException if no allowed address answered
   */
  public Socket connect(String host, int port, Duration timeout) throws IOException {
    InetAddress[] addresses;
    try {
      addresses = InetAddress.getAllByName(host);
    } catch (UnknownHostException e) {
      throw new IOException("unknown host", e);
    }
    IOException last = null;
    boolean anyAllowed = false;
    for (InetAddress address : addresses) {
      if (!allows(host, address)) {
        continue;
      }
      anyAllowed = true;
      Socket socket = new Socket();
      try {
        socket.connect(new InetSocketAddress(address, port), (int) timeout.toMillis());
        return socket;
      } catch (IOException e) {
        socket.close();
        last = e;
      }
    }
    if (!anyAllowed) {
      throw refused();
    }
    throw last;
  }

  /**
   * An unconnected socket that refuses, when asked to connect, an address this policy does not
   * allow (with a {@link Refusal}, before anything is sent): for drivers that take a socket factory
   * and resolve the name themselves.
   */
  public Socket socket(String host) {
    requireNonNull(host, "host");
    return new Socket() {
      @Override
      public void connect(SocketAddress endpoint, int timeout) throws IOException {
        if (endpoint instanceof InetSocketAddress inet && inet.isUnresolved()) {
          // The driver could not resolve the name: nothing to check, nothing sent.
          throw new java.net.UnknownHostException("host not found");
        }
        if (!(endpoint instanceof InetSocketAddress inet) || !allows(host, inet.getAddress())) {
          throw new Refusal();
        }
        super.connect(endpoint, timeout);
      }
    };
  }

  /**
   * Fails early, with the policy's message, when no address of {@code host} is allowed (the
   * connection itself is checked again at connect time).
   *
   * @throws KeyturnException.Forbidden if none is
   */
  public void requireSomeAddressAllowed(String host) {
    if (unrestricted) {
      return;
    }
    try {
      for (InetAddress address : InetAddress.getAllByName(host)) {
        if (allows(host, address)) {
          return;
        }
      }
    } catch (UnknownHostException e) {
      throw new KeyturnException.TargetFailure("the host is unknown");
    }
    throw refused();
  }

  /**
   * A socket factory for clients that open their own connections to {@code host} (the mail client):
   * its unconnected sockets are {@link #socket}s, and its connecting methods go through {@link
   * #connect}.
   */
  public javax.net.SocketFactory socketFactory(String host) {
    requireNonNull(host, "host");
    Outbound policy = this;
    return new javax.net.SocketFactory() {
      @Override
      public Socket createSocket() {
        return policy.socket(host);
      }

      @Override
      public Socket createSocket(String h, int port) throws IOException {
        return policy.connect(h, port, Duration.ofSeconds(30));
      }

      @Override
      public Socket createSocket(String h, int port, InetAddress local, int localPort)
          throws IOException {
        return policy.connect(h, port, Duration.ofSeconds(30));
      }

      @Override
      public Socket createSocket(InetAddress address, int port) throws IOException {
        Socket s = policy.socket(host);
        s.connect(new InetSocketAddress(address, port));
        return s;
      }

      @Override
      public Socket createSocket(InetAddress address, int port, InetAddress local, int localPort)
          throws IOException {
        return createSocket(address, port);
      }
    };
  }

  @Override
  public String toString() {
    return unrestricted
        ? "Outbound[unrestricted]"
        : "Outbound[allow=" + hosts + cidrs + ", public=" + allowPublic + "]";
  }

  /**
   * The message of a refusal, as checklists show it; it names neither the destination nor its
   * addresses, and the fix is the operator's ({@code outbound: allow} in the configuration file).
   */
  public static final String REFUSED = "destination not allowed by the operator's outbound list";

  /** A destination the policy does not allow. */
  public static KeyturnException.Forbidden refused() {
    return new KeyturnException.Forbidden(REFUSED);
  }

  /**
   * What a socket of {@link #socket} throws instead of connecting: drivers wrap it in their own
   * exceptions, and callers find it among the causes ({@link #isRefusal}) to report {@link
   * #refused()}.
   */
  public static final class Refusal extends IOException {
    private static final long serialVersionUID = 1L;

    public Refusal() {
      super(REFUSED);
    }
  }

  /** Whether {@code e} or one of its causes is a refusal of this policy. */
  public static boolean isRefusal(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof Refusal
          || (t instanceof KeyturnException.Forbidden f && REFUSED.equals(f.getMessage()))) {
        return true;
      }
    }
    return false;
  }

  /** An address range. */
  private record Cidr(byte[] network, int bits) {
    static Cidr parse(String text) {
      int slash = text.indexOf('/');
      String address = slash < 0 ? text : text.substring(0, slash);
      if (!address.matches("[0-9a-fA-F:.]+")) {
        throw bad(text);
      }
      byte[] bytes;
      try {
        // Only literals reach here (the pattern above), so nothing is looked up.
        bytes = InetAddress.getByName(address).getAddress();
      } catch (UnknownHostException e) {
        throw bad(text);
      }
      if (text.startsWith("::ffff:") && slash > 0) {
        // The JDK reads an IPv4-mapped literal as IPv4; keep the range in IPv6 form.
        bytes = mapped(bytes);
      }
      int bits;
      try {
        bits = slash < 0 ? bytes.length * 8 : Integer.parseInt(text.substring(slash + 1));
      } catch (NumberFormatException e) {
        throw bad(text);
      }
      if (bits < 0 || bits > bytes.length * 8) {
        throw bad(text);
      }
      return new Cidr(bytes, bits);
    }

    private static byte[] mapped(byte[] v4) {
      if (v4.length == 16) {
        return v4;
      }
      byte[] out = new byte[16];
      out[10] = (byte) 0xff;
      out[11] = (byte) 0xff;
      System.arraycopy(v4, 0, out, 12, 4);
      return out;
    }

    private static KeyturnException.InvalidInput bad(String text) {
      return new KeyturnException.InvalidInput("'" + text + "' is not an address or a CIDR");
    }

    boolean contains(InetAddress address) {
      byte[] a = address.getAddress();
      if (a.length != network.length) {
        return false;
      }
      for (int i = 0; i < bits; i++) {
        int mask = 0x80 >>> (i % 8);
        if ((a[i / 8] & mask) != (network[i / 8] & mask)) {
          return false;
        }
      }
      return true;
    }
  }
}
