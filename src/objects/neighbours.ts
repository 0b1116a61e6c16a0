/**
 * The objects a ChargePoint object talks to: its BrokerLink shard (publishing, attach/detach) and the client
 * registry. Failures are logged here and never thrown into the charge point's handling.
 */
import type { CertificateIdentity } from "../auth/client-certificate";
import { errorMessage, log } from "../log";
import type { UpstreamLink } from "../session/outbox";
import { clientInfo, type SocketAttachment } from "./attachment";
import { clientRegistry } from "./client-registry";
import { brokerLinkFor, LinkUnavailableError, type ShardLink } from "./links";

export class Neighbours {
  private linkStub: ShardLink | undefined;

  constructor(
    private readonly env: Env,
    readonly cid: string,
  ) {}

  /**
   * Made once per object and charge point (idFromName hashes the name, and publishing runs for every message),
   * and made again after any failed call: a stub to an object that was reset stays broken.
   */
  private link() {
    this.linkStub ??= brokerLinkFor(this.env, this.cid);
    return this.linkStub;
  }

  private async viaLink<T>(call: (link: ShardLink) => Promise<T>): Promise<T> {
    try {
      return await call(this.link());
    } catch (error) {
      this.linkStub = undefined;
      throw error;
    }
  }

  /** The broker link as the outbox sees it. */
  upstream(): UpstreamLink {
    return {
      publish: async (topic, payload, retain) => {
        const result = await this.viaLink(({ shard, stub }) => stub.publish(shard, topic, payload, retain));
        if (!result.ok) throw new LinkUnavailableError(result.error ?? "not confirmed by the broker");
      },
      isReady: () => this.viaLink(({ stub }) => stub.isReady()).catch(() => false),
    };
  }

  /** Normally one RPC; on a link's first connection it waits (bounded) until commands can reach the charge point. */
  async attach(): Promise<void> {
    try {
      const up = await this.viaLink(({ shard, stub }) => stub.attach(shard, this.cid));
      if (!up) log("warn", "link_not_ready_at_connect", { cid: this.cid });
    } catch (e) {
      log("error", "link_attach_failed", { cid: this.cid, error: errorMessage(e) });
    }
  }

  async detach(): Promise<void> {
    try {
      await this.viaLink(({ shard, stub }) => stub.detach(shard, this.cid));
    } catch (e) {
      log("error", "link_detach_failed", { cid: this.cid, error: errorMessage(e) });
    }
  }

  async register(a: SocketAttachment, certificate?: CertificateIdentity): Promise<void> {
    const info = clientInfo(a);
    try {
      await clientRegistry(this.env).register({
        clientid: a.cid,
        username: info.username ?? null,
        proto_ver: info.protoVer,
        ip_address: info.ipaddress ?? null,
        connected_at: a.connectedAt,
        conn_id: a.connId,
        client_certificate: certificate === undefined ? null : JSON.stringify(certificate),
      });
    } catch (e) {
      log("error", "registry_register_failed", { cid: a.cid, error: errorMessage(e) });
    }
  }

  async unregister(a: SocketAttachment): Promise<void> {
    try {
      await clientRegistry(this.env).unregister(a.cid, a.connId);
    } catch (e) {
      log("error", "registry_unregister_failed", { cid: a.cid, error: errorMessage(e) });
    }
  }
}
