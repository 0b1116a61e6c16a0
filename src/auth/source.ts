/**
 * The source address of a request, from `CF-Connecting-IP` (set by Cloudflare's edge to the client's address; a
 * client-sent value is replaced there). The address is kept with the connection only when it parses as an IPv4 or
 * IPv6 address, so nothing else a client sends lands in the socket attachment or the clients list.
 *
 * Failed logins are counted per source: an IPv4 address, or an IPv6 /64 — one host usually holds a whole /64
 * (RFC 4291 §2.5.1 interface identifiers; RFC 8981 temporary addresses rotate inside it), so counting single IPv6
 * addresses would give each host 2^64 budgets.
 */

export interface Source {
  /** The address as the edge gave it, when it is one; kept with the connection. */
  readonly ip?: string;
  /** What failures are counted under: `4:a.b.c.d`, `6:xxxx:xxxx:xxxx:xxxx::/64`, or `none`. */
  readonly key: string;
}

function ipv4Octets(text: string): number[] | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const octets: number[] = [];
  for (const part of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    octets.push(n);
  }
  return octets;
}

/** The eight 16-bit groups of an IPv6 address in RFC 4291 §2.2 text form (zone ids refused). */
function ipv6Groups(text: string): number[] | undefined {
  if (!/^[0-9A-Fa-f:.]{2,45}$/.test(text)) return undefined;
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const parse = (half: string): number[] | undefined => {
    if (half === "") return [];
    const groups: number[] = [];
    const pieces = half.split(":");
    for (const [i, piece] of pieces.entries()) {
      if (i === pieces.length - 1 && piece.includes(".")) {
        const v4 = ipv4Octets(piece);
        if (v4 === undefined) return undefined;
        groups.push(((v4[0] ?? 0) << 8) | (v4[1] ?? 0), ((v4[2] ?? 0) << 8) | (v4[3] ?? 0));
      } else if (/^[0-9A-Fa-f]{1,4}$/.test(piece)) {
        groups.push(parseInt(piece, 16));
      } else {
        return undefined;
      }
    }
    return groups;
  };
  const head = parse(halves[0] ?? "");
  const tail = halves.length === 2 ? parse(halves[1] ?? "") : [];
  if (head === undefined || tail === undefined) return undefined;
  if (halves.length === 1) return head.length === 8 ? head : undefined;
  const missing = 8 - head.length - tail.length;
  return missing >= 1 ? [...head, ...new Array<number>(missing).fill(0), ...tail] : undefined;
}

/** The source of a request from its `CF-Connecting-IP` header. */
export function sourceOf(header: string | null | undefined): Source {
  const text = (header ?? "").trim();
  const v4 = ipv4Octets(text);
  if (v4 !== undefined) return { ip: text, key: `4:${v4.join(".")}` };
  const v6 = ipv6Groups(text);
  if (v6 === undefined) return { key: "none" };
  // An IPv4-mapped IPv6 address (::ffff:a.b.c.d, RFC 4291 §2.5.5.2) is that IPv4 host.
  if (v6.slice(0, 5).every((g) => g === 0) && v6[5] === 0xffff) {
    const [hi = 0, lo = 0] = v6.slice(6);
    return { ip: text, key: `4:${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}` };
  }
  return { ip: text, key: `6:${v6.slice(0, 4).map((g) => g.toString(16)).join(":")}::/64` };
}
