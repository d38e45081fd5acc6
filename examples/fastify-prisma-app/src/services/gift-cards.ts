import 'reflect-metadata';
import {
  Column,
  DataSource,
  Entity,
  Index,
  ManyToOne,
  OneToMany,
  PrimaryGeneratedColumn,
} from 'typeorm';

/**
 * Gift cards: issued in marketing batches, redeemed against orders at checkout. They live in the
 * loyalty programme's PostgreSQL database, which the storefront maps with TypeORM; OrderDesk
 * reads the same tables through the same entities.
 */
@Entity('gift_card_batches')
export class GiftCardBatch {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column()
  campaign!: string;

  @OneToMany(() => GiftCard, (card) => card.batch)
  cards!: GiftCard[];
}

@Entity('gift_cards')
export class GiftCard {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ unique: true })
  code!: string;

  @Column('int')
  balanceCents!: number;

  @ManyToOne(() => GiftCardBatch, (batch) => batch.cards, { onDelete: 'CASCADE' })
  batch!: GiftCardBatch;

  @OneToMany(() => GiftCardRedemption, (redemption) => redemption.card)
  redemptions!: GiftCardRedemption[];
}

@Entity('gift_card_redemptions')
export class GiftCardRedemption {
  @PrimaryGeneratedColumn()
  id!: number;

  @Index()
  @ManyToOne(() => GiftCard, (card) => card.redemptions, { onDelete: 'CASCADE' })
  card!: GiftCard;

  @Column()
  orderNumber!: string;

  @Column('int')
  amountCents!: number;
}

/** The loyalty database; `initialize()` runs once when the server starts. */
export const loyaltyDb = new DataSource({
  type: 'postgres',
  url: process.env.LOYALTY_DATABASE_URL,
  entities: [GiftCardBatch, GiftCard, GiftCardRedemption],
});

/** The card a customer enters at checkout, by its code. */
export function cardByCode(code: string) {
  return loyaltyDb.getRepository(GiftCard).findOneBy({ code });
}

/** The first cards of a campaign batch, for the marketing report's preview. */
export function batchPreview(batchId: number) {
  return loyaltyDb.getRepository(GiftCard).find({
    where: { batch: { id: batchId } },
    order: { id: 'ASC' },
    take: 20,
  });
}
