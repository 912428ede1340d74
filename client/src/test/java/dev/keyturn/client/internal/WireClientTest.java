package dev.keyturn.client.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class WireClientTest {
  private static final String TOKEN = "kt_canary_client_token_1234567890";

  @Test
  void plainHttpToAnotherHost_isRefusedBeforeAnythingIsSent() {
    for (String address :
        new String[] {
          "http://10.0.0.7:8270",
          "http://keyturn.internal:8270",
          "http://127.0.0.1.attacker.example:8270",
          "http://localhost.attacker.example:8270",
          "http://[fe80::1]:8270"
        }) {
      assertThatThrownBy(() -> WireClient.builder().address(address).token(TOKEN).build())
          .as(address)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("plain HTTP")
          .hasMessageContaining("insecureHttp(true)")
          .hasMessageNotContaining(TOKEN);
    }
  }

  @Test
  void plainHttpToThisMachine_httpsAnywhere_orNoToken_areAllowed() {
    for (String address :
        new String[] {
          "http://127.0.0.1:8270",
          "http://127.9.8.7:1",
          "http://localhost:8270",
          "http://[::1]:8270"
        }) {
      assertThat(WireClient.builder().address(address).token(TOKEN).build().address())
          .hasToString(address);
    }
    assertThat(WireClient.builder().address("https://keyturn.example:8270").token(TOKEN).build())
        .isNotNull();
    // without a token nothing secret crosses the wire (health)
    assertThat(WireClient.builder().address("http://10.0.0.7:8270").build()).isNotNull();
  }

  @Test
  void insecureHttp_sendsTheTokenToTheHostItWasGiven() throws Exception {
    // The only non-loopback address this test can reach is one of this machine's own; a server
    // bound to all interfaces answers on it. The client cannot tell it is this machine.
    InetAddress own = nonLoopbackAddress();
    Assumptions.assumeTrue(own != null, "no non-loopback address here");
    AtomicInteger seen = new AtomicInteger();
    HttpServer server = HttpServer.create(new InetSocketAddress("0.0.0.0", 0), 0);
    server.createContext(
        "/v1/health",
        exchange -> {
          if (("Bearer " + TOKEN).equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
            seen.incrementAndGet();
          }
          byte[] body = "{\"status\":\"ok\",\"version\":\"t\"}".getBytes(StandardCharsets.UTF_8);
          exchange.getResponseHeaders().add("Content-Type", "application/json");
          exchange.sendResponseHeaders(200, body.length);
          exchange.getResponseBody().write(body);
          exchange.close();
        });
    server.start();
    try {
      String address = "http://" + own.getHostAddress() + ":" + server.getAddress().getPort();
      assertThatThrownBy(() -> WireClient.builder().address(address).token(TOKEN).build())
          .isInstanceOf(IllegalArgumentException.class);
      assertThat(seen).hasValue(0);
      WireClient client =
          WireClient.builder().address(address).token(TOKEN).insecureHttp(true).build();
      client.health();
    } finally {
      server.stop(0);
    }
  }

  @Test
  void loopbackHost_acceptsOnlyLiteralsAndLocalhost() {
    assertThat(LoopbackHost.is("localhost")).isTrue();
    assertThat(LoopbackHost.is("LOCALHOST")).isTrue();
    assertThat(LoopbackHost.is("127.0.0.1")).isTrue();
    assertThat(LoopbackHost.is("[::1]")).isTrue();
    assertThat(LoopbackHost.is("::1")).isTrue();
    assertThat(LoopbackHost.is("10.0.0.1")).isFalse();
    assertThat(LoopbackHost.is("[fe80::1]")).isFalse();
    assertThat(LoopbackHost.is("[::ffff:10.0.0.1]")).isFalse();
    assertThat(LoopbackHost.is("127.0.0.1.nip.io")).isFalse();
    assertThat(LoopbackHost.is("localhost.")).isFalse();
    assertThat(LoopbackHost.is("")).isFalse();
    assertThat(LoopbackHost.is(null)).isFalse();
  }

  private static InetAddress nonLoopbackAddress() throws Exception {
    for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
      if (!nic.isUp() || nic.isLoopback()) {
        continue;
      }
      for (InetAddress a : Collections.list(nic.getInetAddresses())) {
        if (a instanceof Inet4Address) {
          return a;
        }
      }
    }
    return null;
  }
}
