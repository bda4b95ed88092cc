/**
 * The simulator's fixed, throwaway RSA test key pair (see README.md in this folder).
 * The simulator verifies `KALSHI-ACCESS-*` signatures with the public key; tests, the
 * bench and `npm start` sign with the private key under `SIM_TEST_KEY_ID`.
 * Node only (reads the PEM files with node:fs); never import this from Worker code.
 */
import { readFileSync } from "node:fs";

/** The key id the simulator accepts for the test key pair. */
export const SIM_TEST_KEY_ID = "sim-test-key-0001";

export type SimTestKeys = {
  keyId: string;
  /** PKCS#1 PEM (`-----BEGIN RSA PRIVATE KEY-----`), like a key downloaded from Kalshi's UI. */
  privateKeyPem: string;
  /** SPKI PEM (`-----BEGIN PUBLIC KEY-----`). */
  publicKeyPem: string;
};

/** Reads both PEM files, resolved relative to this module (independent of the working directory). */
export function readSimTestKeys(): SimTestKeys {
  const read = (name: string): string => readFileSync(new URL(`./${name}`, import.meta.url), "utf8");
  return {
    keyId: SIM_TEST_KEY_ID,
    privateKeyPem: read("test-private-key.pem"),
    publicKeyPem: read("test-public-key.pem"),
  };
}
