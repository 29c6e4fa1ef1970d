/**
 * The published vector files the runner replays, with where they come from
 * and their SHA-256 — the same table as ../shared/test-vectors/PROVENANCE.md.
 * Used by the runner (which files exist) and by download-vectors.ts (what to
 * fetch and how to check it).
 */

/** One published file: its place in the vectors dir and its upstream origin. */
export interface PublishedVectorFile {
  /** Path inside the vectors directory, e.g. "wycheproof/x25519_test.json". */
  local: string;
  /** GitHub owner/name. */
  repo: string;
  /** Pinned commit. */
  commit: string;
  /** Path inside the repository at that commit. */
  path: string;
  /** Lower-case hex SHA-256 of the file's bytes. */
  sha256: string;
  /** Whether the runner replays this file (licences are only checked). */
  replay: boolean;
}

const WYCHEPROOF = { repo: 'C2SP/wycheproof', commit: 'dac1dd4729fd1f8dd9e1e9f3dce51d783da6c166' };
const LIBCRUX = { repo: 'cryspen/libcrux', commit: '416d2bff562cbd59ce456c6cce9f2a703c14f648' };
const CCTV = { repo: 'C2SP/CCTV', commit: '1e3d2860d46e94e777e1b17c7a6f2436387e3ecc' };

function wycheproof(name: string, sha256: string): PublishedVectorFile {
  return { local: `wycheproof/${name}`, ...WYCHEPROOF, path: `testvectors_v1/${name}`, sha256, replay: true };
}

function cctv(dir: string, gz: boolean, sha256: string): PublishedVectorFile {
  const suffix = gz ? '.txt.gz' : '.txt';
  return { local: `mlkem/cctv-${dir}-ML-KEM-1024${suffix}`, ...CCTV, path: `ML-KEM/${dir}/ML-KEM-1024${suffix}`, sha256, replay: true };
}

/** Every file in PROVENANCE.md, in its order. */
export const PUBLISHED_VECTOR_FILES: readonly PublishedVectorFile[] = [
  { local: 'kyber/LICENSE-libcrux', ...LIBCRUX, path: 'LICENSE', sha256: 'c517c468fc7f8d83319dd8b3743923f6891e0dfbaf7c57a874758c8f39b98564', replay: false },
  { local: 'kyber/nistkats_kyber_1024.json', ...LIBCRUX, path: 'libcrux-ml-kem/tests/kats/nistkats_kyber_1024.json', sha256: '19d96c2257696115bed32ef74cc779902e93b48289c508771a6e0ea91781cd2a', replay: true },
  cctv('intermediate', false, 'af15ceb9c7129a152e0a9d66caabe0567b566b949bacfe8349c6a3c4b46cb64a'),
  cctv('modulus', true, '5792e788280ecdf5be7bfd2d8b66e18a0f9b9c80f4beb1d801fd27d20e882bf7'),
  cctv('strcmp', false, '5059fcb4d5912c37bef560e92608799b576cf785bc20708688f65ffcfca4adfb'),
  cctv('unluckysample', false, '8da6cdb2fb0d4e2223dfa5229ec97d4ded7b93bd8b2202e9a7533850c817b8cd'),
  { local: 'mlkem/nistkats_mlkem_1024.json', ...LIBCRUX, path: 'libcrux-ml-kem/tests/kats/nistkats_mlkem_1024.json', sha256: 'a93e80003b0ba6755ad20c99880871f698e139aa89f63f9fcac362430aae0876', replay: true },
  { local: 'wycheproof/LICENSE', ...WYCHEPROOF, path: 'LICENSE', sha256: '58d1e17ffe5109a7ae296caafcadfdbe6a7d176f0bc4ab01e12a689b0499d8bd', replay: false },
  wycheproof('aes_cbc_pkcs5_test.json', 'e45234427e10cf91f27324e52afe8c00906f294dbae061535e2ae13dd300a46a'),
  wycheproof('aes_gcm_siv_test.json', 'd96e4f8c0db1a5e3b395907120f9d417d599507e7a08a1f60babff09ae276a8d'),
  wycheproof('aes_gcm_test.json', '985e5ecc172e181eaf49e89508b9470dcf478002eb7e8559c707eb42dc97dfe7'),
  wycheproof('ed25519_test.json', '752d2ea7d7c6cf4736381b6cbacb61f8182b126ab7cd9b058f00c50084975536'),
  wycheproof('hkdf_sha256_test.json', 'bb2b462a38b251cb52a2aede706d6d4b62b26864f4e80c95497507ddb07c5f1e'),
  wycheproof('hmac_sha256_test.json', '2d201cfa61d1bf95e6f5d07d96634b4a348b31e8eaa277ad7c8d09677b7a743f'),
  wycheproof('mlkem_1024_encaps_test.json', 'da41e8daf57e40a6b334a722e3f56067817352f5583fdb2434da1a2cd611358e'),
  wycheproof('mlkem_1024_keygen_seed_test.json', 'cd9241bf5d65a78e005866ea2c660615c17f50caa9afc2b96fd1573cc65617b5'),
  wycheproof('mlkem_1024_semi_expanded_decaps_test.json', 'a4a7c88152df3d8d4b3f33aad584167dfaff67195cfde08aac4b981030b4d05c'),
  wycheproof('mlkem_1024_test.json', '394c997a67ab86a5e7eae9d96007931cc594126b27b3a4f47b8ab7c4f0826bf9'),
  wycheproof('x25519_test.json', '35c3f5231cf25cc640b524d403461deee9e49441d5d915a3a25b2c8ff5adbe7d'),
];

/** The raw.githubusercontent.com URL of a pinned file. */
export function rawGitHubUrl(f: PublishedVectorFile): string {
  return `https://raw.githubusercontent.com/${f.repo}/${f.commit}/${f.path}`;
}
