package dev.keyturn.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The operator's outbound policy, on addresses and on real sockets. */
class OutboundTest {
  private static InetAddress ip(String literal) throws Exception {
    return InetAddress.getByName(literal);
  }

  @Test
  void isPublic_refusesEveryInternalOrEmbeddingRange() throws Exception {
    for (String internal :
        List.of(
            "127.0.0.1",
            "127.9.9.9",
            "0.0.0.0",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "198.18.0.1",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "::ffff:127.0.0.1",
            "::127.0.0.1",
            "fe80::1",
            "fd00::1",
            "fc00::1",
            "64:ff9b::7f00:1",
            "2002:7f00:1::",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",
            "ff02::1")) {
      assertThat(Outbound.isPublic(ip(internal))).as(internal).isFalse();
    }
    for (String external : List.of("8.8.8.8", "1.1.1.1", "172.32.0.1", "2606:4700::1111")) {
      assertThat(Outbound.isPublic(ip(external))).as(external).isTrue();
    }
  }

  @Test
  void allows_listedAddressesCidrsAndNames_only() throws Exception {
    Outbound policy =
        Outbound.of(List.of("10.1.0.0/16", "127.0.0.7", "db.internal", "*.corp.example"), false);

    assertThat(policy.allows("x", ip("10.1.200.3"))).isTrue();
    assertThat(policy.allows("x", ip("10.2.0.1"))).isFalse();
    assertThat(policy.allows("x", ip("127.0.0.7"))).isTrue();
    assertThat(policy.allows("x", ip("127.0.0.8"))).isFalse();
    assertThat(policy.allows("DB.internal", ip("127.0.0.1"))).isTrue();
    assertThat(policy.allows("a.corp.example", ip("10.9.9.9"))).isTrue();
    assertThat(policy.allows("corp.example", ip("10.9.9.9"))).isFalse();
    assertThat(policy.allows("evilcorp.example", ip("10.9.9.9"))).isFalse();
    assertThat(policy.allows("x", ip("8.8.8.8"))).as("public: false").isFalse();
    assertThat(Outbound.publicOnly().allows("x", ip("8.8.8.8"))).isTrue();
    assertThat(Outbound.unrestricted().allows("x", ip("127.0.0.1"))).isTrue();
  }

  @Test
  void of_anEntryThatIsNeitherAddressNorName_isRefusedNamingIt() {
    for (String bad : List.of("10.0.0.0/33", "10.0.0.0/x", "exa mple.com", "*", "1.2.3.4.5/8")) {
      assertThatThrownBy(() -> Outbound.of(List.of(bad), true))
          .as(bad)
          .isInstanceOf(KeyturnException.InvalidInput.class);
    }
  }

  @Test
  void connect_toLoopbackByNameOrAddress_isRefusedBeforeAnyConnection() throws Exception {
    try (ServerSocket listener = new ServerSocket(0, 50, ip("127.0.0.1"))) {
      listener.setSoTimeout(200);
      for (String host : List.of("127.0.0.1", "localhost")) {
        assertThatThrownBy(() ->
                Outbound.publicOnly().connect(host, listener.getLocalPort(), Duration.ofSeconds(2)))
            .isInstanceOf(KeyturnException.Forbidden.class)
            .hasMessage(Outbound.REFUSED);
      }
      assertThatThrownBy(listener::accept).isInstanceOf(IOException.class);

      try (Socket s =
          Outbound.of(List.of("127.0.0.0/8"), false)
              .connect("127.0.0.1", listener.getLocalPort(), Duration.ofSeconds(2))) {
        assertThat(s.isConnected()).isTrue();
      }
    }
  }

  @Test
  void socket_checksTheAddressADriverResolved() throws Exception {
    try (ServerSocket listener = new ServerSocket(0, 50, ip("127.0.0.1"));
        Socket s = Outbound.publicOnly().socket("db.example")) {
      assertThatThrownBy(
              () -> s.connect(new InetSocketAddress("127.0.0.1", listener.getLocalPort()), 2000))
          .isInstanceOf(IOException.class)
          .hasMessage(Outbound.REFUSED);
      assertThat(s.isConnected()).isFalse();
    }
  }
}
