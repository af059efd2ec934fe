/** Errors the WebGPU backend raises; callers can tell them apart by class (and by `name`). */

/** The GPU device was lost (driver reset, tab backgrounded too long, `device.destroy()`). */
export class DeviceLostError extends Error {
  override name = 'DeviceLostError';
  constructor(
    message: string,
    readonly reason: string,
  ) {
    super(`WebGPU device lost (${reason}): ${message || 'no message'}. Create a new backend to continue.`);
  }
}

/** WebGPU reported a validation or out-of-memory error for work this backend submitted. */
export class WebGPUError extends Error {
  override name = 'WebGPUError';
}

/** A model or tensor does not fit within this device's limits. */
export class DoesNotFitError extends Error {
  override name = 'DoesNotFitError';
}
