export const RUNTIME_MESSAGE_LIMIT: number;
export function closeFrame(code: number, reason: string, masked: boolean): Buffer;
export class MessageLimit {
  constructor(options: {
    limit?: number;
    deflate?: { noContextTakeover: boolean };
    forward(bytes: Buffer): void;
    exceeded(): void;
  });
  push(chunk: Buffer): Promise<void>;
}
