// Bundled by bench/validate.mjs for Node: the gateway's own parse and validate code, unchanged.
export { parseFrame } from "../src/ocpp/frame";
export { OCPP16 } from "../src/ocpp/protocol";
export { OCPP201_VALIDATORS } from "../src/generated/ocpp201-validators.gen.js";
export { validatePayload } from "../src/ocpp/validation";
