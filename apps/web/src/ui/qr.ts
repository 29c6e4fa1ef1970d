/** QR codes on a canvas, with the `qrcode` package (apps/web/README.md says why that one). */
import QRCode from 'qrcode';

/** Draws `text` (or raw bytes, byte mode) as a QR code into `canvas`. */
export async function drawQr(canvas: HTMLCanvasElement, data: string | Uint8Array): Promise<void> {
  const content = typeof data === 'string' ? data : [{ data, mode: 'byte' as const }];
  await QRCode.toCanvas(canvas, content, { errorCorrectionLevel: 'M', margin: 2, scale: 5, color: { dark: '#000000', light: '#ffffff' } });
}
