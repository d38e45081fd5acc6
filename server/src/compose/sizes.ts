/** Memory sizes as compose and the JVM spell them, in bytes. */

const UNIT: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
  t: 1024 ** 4,
  p: 1024 ** 5,
};

/**
 * Docker's size syntax (go-units `RAMInBytes`, which compose uses): `524288000`, `512m`, `1g`,
 * `1gb`, `1.5GiB`, binary units. Undefined for what it cannot read, such as `${ES_MEM:-2g}`:
 * interpolation is decided by the shell and `.env` at `docker compose up`.
 */
export function composeBytes(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?) ?([kmgtp]?)i?b?\s*$/i.exec(text);
  if (!match) return undefined;
  return Math.round(Number(match[1]) * UNIT[match[2].toLowerCase()]);
}

/** A JVM size (`-Xmx2g`, `-Xms512M`, `-Xmx1048576`): digits and an optional k/m/g/t unit. */
export function jvmBytes(text: string): number | undefined {
  const match = /^(\d+)([kmgt]?)$/i.exec(text);
  return match ? Number(match[1]) * UNIT[match[2].toLowerCase()] : undefined;
}

/** `1 GiB`, `1.5 GiB`, `768 MiB`, `1250 MiB`: how messages show a size. */
export function formatBytes(bytes: number): string {
  const gib = bytes / 1024 ** 3;
  if (gib >= 1 && (Number.isInteger(gib * 4) || gib >= 10)) return `${Number(gib.toFixed(2))} GiB`;
  const mib = bytes / 1024 ** 2;
  if (mib >= 1) return `${Number(mib.toFixed(1))} MiB`;
  return `${bytes} bytes`;
}
