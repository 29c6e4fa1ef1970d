/**
 * QR codes on a canvas, with `lean-qr` (apps/web/README.md says why that
 * one): the canvas gets one pixel per module plus a quiet zone, and CSS
 * scales it up without smoothing.
 */
import { correction, generate, mode } from 'lean-qr';

/** On-screen size of a module, CSS pixels. */
const MODULE_PX = 5;

/** Draws `data` (text, or raw bytes in byte mode) as a QR code into `canvas`. */
export function drawQr(canvas: HTMLCanvasElement, data: string | Uint8Array): void {
  const code = generate(typeof data === 'string' ? data : mode.bytes(data), { minCorrectionLevel: correction.M });
  code.toCanvas(canvas, { on: [0, 0, 0, 255], off: [255, 255, 255, 255], pad: 4 });
  canvas.style.width = `${canvas.width * MODULE_PX}px`;
  canvas.style.height = `${canvas.height * MODULE_PX}px`;
  canvas.style.imageRendering = 'pixelated';
}
