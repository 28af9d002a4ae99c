package io.parlor.examples;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The example client's proof checks against Certificate Transparency's reference vectors (the
 * RFC 6962 tree, which RFC 9162 keeps), not against anything of Parlor's.
 */
class KeyTransparencyTest {
  private static final HexFormat HEX = HexFormat.of();
  private static final String[] LEAVES = {
    "", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"
  };
  private static final String[] ROOTS = {
    null,
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
  };

  private static byte[] leaf(int i) throws Exception {
    byte[] data = HEX.parseHex(LEAVES[i]);
    byte[] in = new byte[data.length + 1];
    System.arraycopy(data, 0, in, 1, data.length);
    return MessageDigest.getInstance("SHA-256").digest(in);
  }

  private static List<byte[]> hashes(String... hex) {
    List<byte[]> out = new ArrayList<>();
    for (String h : hex) {
      out.add(HEX.parseHex(h));
    }
    return out;
  }

  private static byte[] root(int n) {
    return HEX.parseHex(ROOTS[n]);
  }

  @Test
  void inclusionProofsOfTheReferenceVectorsVerifyAndTamperedOnesDoNot() throws Exception {
    List<byte[]> p0 = hashes("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4");
    List<byte[]> p5 = hashes("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7");
    assertTrue(KeyTransparency.verifyInclusion(0, 8, leaf(0), p0, root(8)));
    assertTrue(KeyTransparency.verifyInclusion(5, 8, leaf(5), p5, root(8)));
    assertTrue(KeyTransparency.verifyInclusion(0, 1, leaf(0), List.of(), root(1)));
    assertFalse(KeyTransparency.verifyInclusion(5, 8, leaf(4), p5, root(8)), "another leaf");
    assertFalse(KeyTransparency.verifyInclusion(4, 8, leaf(5), p5, root(8)), "another index");
    assertFalse(KeyTransparency.verifyInclusion(5, 7, leaf(5), p5, root(7)), "another size");
    assertFalse(KeyTransparency.verifyInclusion(5, 8, leaf(5), p5.subList(0, 2), root(8)), "a path cut short");
    List<byte[]> longer = new ArrayList<>(p5);
    longer.add(root(1));
    assertFalse(KeyTransparency.verifyInclusion(5, 8, leaf(5), longer, root(8)), "a path too long");
  }

  @Test
  void consistencyProofsOfTheReferenceVectorsVerifyAndForksDoNot() {
    List<byte[]> p18 = hashes("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4");
    List<byte[]> p68 = hashes("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7");
    List<byte[]> p25 = hashes("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b");
    assertTrue(KeyTransparency.verifyConsistency(1, 8, root(1), root(8), p18));
    assertTrue(KeyTransparency.verifyConsistency(6, 8, root(6), root(8), p68));
    assertTrue(KeyTransparency.verifyConsistency(2, 5, root(2), root(5), p25));
    assertTrue(KeyTransparency.verifyConsistency(3, 3, root(3), root(3), List.of()));
    assertFalse(KeyTransparency.verifyConsistency(6, 8, root(5), root(8), p68), "another first tree");
    assertFalse(KeyTransparency.verifyConsistency(6, 8, root(6), root(7), p68), "another second tree");
    assertFalse(KeyTransparency.verifyConsistency(5, 8, root(5), root(8), p68), "another size");
    assertFalse(KeyTransparency.verifyConsistency(3, 3, root(3), root(4), List.of()), "same size, other root");
    assertFalse(KeyTransparency.verifyConsistency(2, 5, root(2), root(5), p25.subList(1, 2)), "cut short");
  }
}
