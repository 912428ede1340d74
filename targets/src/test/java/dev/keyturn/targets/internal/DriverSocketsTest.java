package dev.keyturn.targets.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyturn.core.Outbound;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The drivers' socket factories: a leased key's policy, and nothing for any other key. */
class DriverSocketsTest {
  private static final Outbound ONLY_127_0_0_5 = Outbound.of(List.of("127.0.0.5"), false);

  @Test
  void leasedKey_connectsWhereThePolicyAllows_andNowhereElse() throws Exception {
    try (ServerSocket allowed = new ServerSocket(0, 5, InetAddress.getByName("127.0.0.5"));
        ServerSocket other = new ServerSocket(0, 5, InetAddress.getByName("127.0.0.6"));
        DriverSockets.Lease lease = DriverSockets.lease(ONLY_127_0_0_5, "db.internal")) {
      DriverSockets.Postgres factory = new DriverSockets.Postgres(lease.key());

      try (Socket s = factory.createSocket()) {
        s.connect(allowed.getLocalSocketAddress(), 2000);
        assertThat(s.isConnected()).isTrue();
      }
      try (Socket s = factory.createSocket()) {
        assertThatThrownBy(() -> s.connect(other.getLocalSocketAddress(), 2000))
            .isInstanceOf(Outbound.Refusal.class)
            .hasMessage(Outbound.REFUSED);
      }
    }
  }

  @Test
  void unknownOrClosedKey_refusesEveryAddress() throws Exception {
    try (ServerSocket listener = new ServerSocket(0, 5, InetAddress.getByName("127.0.0.5"))) {
      DriverSockets.Lease lease = DriverSockets.lease(ONLY_127_0_0_5, "db.internal");
      String key = lease.key();
      lease.close();

      for (String k : new String[] {key, "guessed", null}) {
        try (Socket s = new DriverSockets.Postgres(k).createSocket()) {
          assertThatThrownBy(() -> s.connect(listener.getLocalSocketAddress(), 2000))
              .isInstanceOf(Outbound.Refusal.class);
        }
        assertThatThrownBy(() ->
                new DriverSockets.MariaDb()
                    .createSocket(InetAddress.getByName("127.0.0.5"), listener.getLocalPort()))
            .isInstanceOf(Outbound.Refusal.class);
      }
      assertThat(Outbound.isRefusal(new java.sql.SQLException("x", new Outbound.Refusal())))
          .isTrue();
      assertThat(Outbound.isRefusal(new java.io.IOException("x"))).isFalse();
      assertThat(new InetSocketAddress(listener.getInetAddress(), 1).isUnresolved()).isFalse();
    }
  }
}
