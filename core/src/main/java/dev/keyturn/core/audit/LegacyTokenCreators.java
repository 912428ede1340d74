package dev.keyturn.core.audit;

import static java.util.Objects.requireNonNull;

import dev.keyturn.core.spi.AuditLog;
import dev.keyturn.core.spi.AuditRecord;
import dev.keyturn.core.spi.TokenRecord;
import dev.keyturn.core.spi.TokenRecord.CreatorSource;
import dev.keyturn.core.spi.TokenStore;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Finds the creators of tokens made before creators were recorded ({@link
 * CreatorSource#UNRESOLVED}). A token's creator is the {@code token_id} of the {@code token.create}
 * record whose detail is {@code created <id> ...}, trusted only when that record and every record
 * before it verify (sequence and MAC); a token with no such record, or whose recorded creator is
 * not a known token, is taken to be root's child ({@link CreatorSource#INFERRED}) and shown as
 * such. Runs at every start; does nothing once no token is unresolved.
 */
public final class LegacyTokenCreators {
  private final AuditChain chain;

  public LegacyTokenCreators(AuditChain chain) {
    this.chain = requireNonNull(chain, "chain");
  }

  /** Resolves every unresolved token in {@code tokens}; returns how many it resolved. */
  public int resolve(TokenStore tokens, AuditLog audit) {
    List<TokenRecord> all = tokens.list();
    List<TokenRecord> unresolved =
        all.stream().filter(t -> t.creatorSource() == CreatorSource.UNRESOLVED).toList();
    if (unresolved.isEmpty()) {
      return 0;
    }
    Map<String, String> creators = verifiedCreations(audit);
    Set<String> known = all.stream().map(TokenRecord::id).collect(Collectors.toSet());
    for (TokenRecord t : unresolved) {
      String creator = creators.get(t.id());
      if (creator != null && known.contains(creator) && !creator.equals(t.id())) {
        tokens.resolveCreator(t.id(), Optional.of(creator), CreatorSource.AUDIT);
      } else {
        tokens.resolveCreator(t.id(), Optional.of(TokenRecord.ROOT_ID), CreatorSource.INFERRED);
      }
    }
    return unresolved.size();
  }

  /** Created token id to creator token id, from the verified start of the chain. */
  private Map<String, String> verifiedCreations(AuditLog audit) {
    Map<String, String> out = new HashMap<>();
    var walk =
        new Object() {
          byte[] previous = AuditChain.GENESIS;
          long expected = 1;
          boolean broken;
        };
    audit.scan(record -> {
      if (walk.broken) {
        return;
      }
      if (record.seq() != walk.expected || !chain.verifies(record, walk.previous)) {
        walk.broken = true;
        return;
      }
      walk.previous = record.mac();
      walk.expected++;
      created(record).ifPresent(id -> out.putIfAbsent(id, record.event().tokenId()));
    });
    return out;
  }

  private static Optional<String> created(AuditRecord record) {
    var e = record.event();
    if (!e.action().equals("token.create") || !e.result().equals("ok")) {
      return Optional.empty();
    }
    String[] words = e.detail().split(" ");
    return words.length >= 2 && words[0].equals("created") && words[1].matches("tok_[0-9a-f]{16}")
        ? Optional.of(words[1])
        : Optional.empty();
  }
}
