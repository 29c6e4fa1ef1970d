/** The generated KT vectors' inputs and recomputation live in the dev kit (the vector runner replays them too). */
export * from '@sealpost/devkit/keytrans-vectors';
