package dev.keyturn.client.testing;

import dev.keyturn.client.KeyturnClient;

/** The contract suite on {@link FakeKeyturn}. */
class FakeKeyturnContractTest extends KeyturnClientContract {
  private final FakeKeyturn fake = new FakeKeyturn();

  @Override
  protected KeyturnClient client(String... grants) {
    return fake.client(grants);
  }
}
