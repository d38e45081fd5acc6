/** Schema extraction (SQLAlchemy, Django, Alembic, SQL DDL), the index views over it, and the migration fix. */
import * as assert from 'node:assert/strict';
import { applyEdits } from '../server/src/engine/fixes';
import type { Finding } from '../server/src/engine/types';
import { initParsers, parse } from '../server/src/parsing/tree-sitter';
import { buildPythonModel } from '../server/src/python/model';
import { extractPythonQueryColumns, extractPythonSchema } from '../server/src/python/schema';
import { extractSqlFacts } from '../server/src/sql/schema-facts';
import { fileUnit } from '../server/src/sql/unit';
import type { SchemaFacts, TableFact } from '../server/src/workspace/facts';
import { analyze, type MemoryFile } from './support/analyze';

function pythonSchema(text: string, relativePath = 'app/models.py') {
  const tree = parse('python', text);
  try {
    const model = buildPythonModel(tree, text, relativePath);
    return { schema: extractPythonSchema(model), uses: extractPythonQueryColumns(model) };
  } finally {
    tree.delete();
  }
}

function sqlSchema(text: string): SchemaFacts {
  const tree = parse('sql', text);
  try {
    return extractSqlFacts('schema.sql', 'schema.sql', fileUnit(text), tree).schema;
  } finally {
    tree.delete();
  }
}

function table(schema: SchemaFacts, name: string): TableFact {
  const found = schema.tables.find((t) => t.name === name);
  assert.ok(found, `no table ${name} in ${schema.tables.map((t) => t.name).join(', ')}`);
  return found;
}

function column(t: TableFact, name: string) {
  const found = t.columns.find((c) => c.name === name);
  assert.ok(found, `no column ${name} in ${t.name}`);
  return found;
}

describe('schema extraction', function () {
  this.timeout(20000);
  before(() => initParsers());

  describe('SQL DDL', () => {
    const ddl = [
      'CREATE TABLE orders (',
      '  id bigint,',
      '  user_id INTEGER NOT NULL,',
      '  team_id int,',
      '  shop_id int REFERENCES "shops",',
      '  KEY idx_team (team_id),',
      '  PRIMARY KEY (id),',
      '  UNIQUE (team_id, user_id),',
      '  CONSTRAINT fk_u FOREIGN KEY (user_id) REFERENCES app.users (id)',
      ');',
      'CREATE UNIQUE INDEX IF NOT EXISTS orders_user_idx ON public.orders USING btree (user_id, lower(code));',
      'ALTER TABLE ONLY orders ADD COLUMN coupon_id int REFERENCES coupons(id);',
      'ALTER TABLE invoices ADD CONSTRAINT fk_o FOREIGN KEY (order_id) REFERENCES orders(id);',
      'DROP INDEX CONCURRENTLY IF EXISTS orders_user_idx;',
    ].join('\n');

    it('reads columns, inline and table-level keys, and constraints', () => {
      const schema = sqlSchema(ddl);
      const orders = table(schema, 'orders');
      assert.equal(column(orders, 'id').primaryKey, true);
      assert.deepEqual(column(orders, 'user_id').foreignKey, { table: 'users', column: 'id' });
      assert.deepEqual(column(orders, 'shop_id').foreignKey, { table: 'shops', column: '' });
      assert.deepEqual(column(orders, 'coupon_id').foreignKey, { table: 'coupons', column: 'id' });
      assert.equal(column(orders, 'user_id').type, 'INTEGER');
      assert.deepEqual(
        schema.indexes.map((i) => [i.columns, i.unique, i.name]),
        [
          [['team_id'], false, 'idx_team'],
          [['team_id', 'user_id'], true, undefined],
        ],
      );
      assert.equal(ddl.slice(orders.statementEnd! - 2, orders.statementEnd), ');');
    });

    it('records CREATE and DROP INDEX in order, and ALTER-only tables', () => {
      const schema = sqlSchema(ddl);
      assert.deepEqual(
        schema.operations.map((o) => [o.kind, o.name, o.table, o.columns, o.unique]),
        [
          ['create', 'orders_user_idx', 'orders', ['user_id', '(lower(code))'], true],
          ['drop', 'orders_user_idx', '', [], false],
        ],
      );
      const invoices = table(schema, 'invoices');
      assert.deepEqual(column(invoices, 'order_id').foreignKey, { table: 'orders', column: 'id' });
    });
  });

  describe('SQLAlchemy', () => {
    const models = [
      'from sqlalchemy import Column, ForeignKey, Index, Integer, JSON, String, Table',
      'from sqlalchemy.orm import Mapped, mapped_column, relationship',
      '',
      'class User(Base):',
      '    __tablename__ = "users"',
      '    id = Column(Integer, primary_key=True)',
      '    profile = Column("profile_json", JSON)',
      '    email: Mapped[str] = mapped_column(String(255), unique=True)',
      '    orders = relationship("Order")',
      '',
      'class Order(Base):',
      '    __tablename__ = "orders"',
      '    __table_args__ = (Index("ix_orders_state_user", "state", user_id), {"schema": "shop"})',
      '    id: Mapped[int] = mapped_column(primary_key=True)',
      '    user_id: Mapped[int] = mapped_column(ForeignKey(User.id))  # owner',
      '    state: Mapped[str]',
      '',
      'class Membership(Base):',
      '    __tablename__ = "memberships"',
      '    user_id = Column(ForeignKey("users.id"), primary_key=True)',
      '    group_id = Column(ForeignKey("auth.groups.id"), primary_key=True, index=True)',
      '',
      'tags = Table("tags", metadata, Column("id", Integer, primary_key=True), Column("order_id", ForeignKey("orders.id")))',
    ].join('\n');

    it('reads declarative classes, Core tables and their keys', () => {
      const { schema } = pythonSchema(models);
      const users = table(schema, 'users');
      assert.equal(users.className, 'User');
      assert.deepEqual(users.relationships, ['orders']);
      assert.equal(column(users, 'profile_json').attribute, 'profile');
      assert.equal(column(users, 'profile_json').type, 'JSON');
      assert.equal(column(users, 'email').unique, true);
      const orders = table(schema, 'orders');
      assert.deepEqual(column(orders, 'user_id').foreignKey, {
        table: 'users',
        column: 'id',
        targetClass: 'User',
      });
      assert.equal(column(orders, 'state').type, 'str');
      assert.deepEqual(schema.indexes.find((i) => i.name === 'ix_orders_state_user')?.columns, [
        'state',
        'user_id',
      ]);
      const tags = table(schema, 'tags');
      assert.equal(tags.variable, 'tags');
      assert.deepEqual(column(tags, 'order_id').foreignKey, { table: 'orders', column: 'id' });
    });

    it('puts `indexInsertAt` right after the last argument, before comments', () => {
      const { schema } = pythonSchema(models);
      const userId = column(table(schema, 'orders'), 'user_id');
      assert.ok(
        models.slice(0, userId.indexInsertAt).endsWith('mapped_column(ForeignKey(User.id)'),
      );
      assert.equal(models[userId.indexInsertAt!], ')');
    });

    it('turns several primary_key columns into one composite index', () => {
      const { schema } = pythonSchema(models);
      const memberships = table(schema, 'memberships');
      assert.equal(column(memberships, 'user_id').primaryKey, false);
      assert.equal(column(memberships, 'user_id').indexed, false);
      assert.equal(column(memberships, 'group_id').indexed, true, 'index=True still indexes it');
      assert.deepEqual(schema.indexes.find((i) => i.table === 'memberships')?.columns, [
        'user_id',
        'group_id',
      ]);
    });

    it("merges the Annotated aliases of the file, the column's own arguments first", () => {
      const { schema } = pythonSchema(
        [
          'from typing import Annotated',
          'from sqlalchemy import ForeignKey, String',
          'from sqlalchemy.orm import Mapped, mapped_column',
          'intpk = Annotated[int, mapped_column(primary_key=True)]',
          'code = Annotated[str, mapped_column(String(20), index=True)]',
          'type owner = Annotated[int, mapped_column(ForeignKey("users.id"))]',
          'class Item(Base):',
          '    __tablename__ = "items"',
          '    id: Mapped[intpk] = mapped_column(init=False)',
          '    sku: Mapped[code | None]',
          '    old_sku: Mapped[code] = mapped_column(index=False)',
          '    owner_id: Mapped[owner]',
        ].join('\n'),
      );
      assert.deepEqual(
        schema.columnAliases?.map((a) => a.name),
        ['intpk', 'code', 'owner'],
      );
      const items = table(schema, 'items');
      assert.equal(column(items, 'id').primaryKey, true);
      assert.equal(column(items, 'id').type, 'int');
      assert.equal(column(items, 'sku').indexed, true);
      assert.equal(column(items, 'sku').type, 'String(20)');
      assert.equal(column(items, 'old_sku').indexed, false, 'its own index=False wins');
      assert.deepEqual(column(items, 'owner_id').foreignKey, { table: 'users', column: 'id' });
      assert.ok(items.columns.every((c) => !c.alias) && !items.bases);
    });

    it('inherits the columns of abstract bases and mixins, not of mapped parents', () => {
      const { schema } = pythonSchema(
        [
          'from sqlalchemy import Column, DateTime, ForeignKey, Integer, String',
          'class Stamped:',
          '    created_at = Column(DateTime, index=True)',
          'class Record(Base):',
          '    __abstract__ = True',
          '    id = Column(Integer, primary_key=True)',
          'class Audited(Record, Stamped):',
          '    __abstract__ = True',
          'class Employee(Audited):',
          '    __tablename__ = "employees"',
          '    name = Column(String(80))',
          'class Manager(Employee):',
          '    __tablename__ = "managers"',
          '    id = Column(ForeignKey("employees.id"), primary_key=True)',
        ].join('\n'),
      );
      assert.deepEqual(
        table(schema, 'employees').columns.map((c) => c.name),
        ['name', 'id', 'created_at'],
      );
      // Joined-table inheritance: the parent's columns stay in the parent's table.
      assert.deepEqual(
        table(schema, 'managers').columns.map((c) => c.name),
        ['id'],
      );
      assert.deepEqual(
        schema.mappedBases?.map((b) => [b.name, b.columns.map((c) => c.name)]),
        [
          ['Stamped', ['created_at']],
          ['Record', ['id']],
          ['Audited', ['id', 'created_at']],
        ],
      );
    });

    it('gives models the `__table_args__` of their first base that has one', () => {
      const { schema } = pythonSchema(
        [
          'from sqlalchemy import Column, ForeignKey, Index, Integer, UniqueConstraint',
          'from sqlalchemy.orm import declared_attr',
          'from app.db import Base',
          'class Owned:',
          '    owner_id = Column(ForeignKey("users.id"))',
          '    @declared_attr',
          '    def __table_args__(cls):',
          '        return (Index(f"ix_{cls.__tablename__}_owner", "owner_id"), {"comment": "x"})',
          'class Flagged:',
          '    flag_id = Column(ForeignKey("flags.id"))',
          '    @declared_attr',
          '    def __table_args__(cls):',
          '        if cls.__name__ == "Note":',
          '            return (Index("ix_a", cls.flag_id), UniqueConstraint("flag_id", "id"))',
          '        elif cls.__name__ == "Task":',
          '            raise TypeError(cls.__name__)',
          '        return (UniqueConstraint("flag_id", "id"), Index("ix_b", "flag_id"))',
          'class Note(Owned, Base):',
          '    __tablename__ = "notes"',
          '    id = Column(Integer, primary_key=True)',
          'class Card(Flagged, Owned, Base):',
          '    __tablename__ = "cards"',
          '    id = Column(Integer, primary_key=True)',
          'class Task(Owned, Base):',
          '    __tablename__ = "tasks"',
          '    __table_args__ = ({"comment": "replaces the mixin\'s"},)',
          '    id = Column(Integer, primary_key=True)',
        ].join('\n'),
      );
      assert.deepEqual(
        schema.indexes.map((i) => [i.table, i.columns.join(',')]),
        [
          ['notes', 'owner_id'],
          ['cards', 'flag_id'],
          ['cards', 'flag_id,id'],
        ],
      );
      assert.deepEqual(
        schema.mappedBases?.map((b) => [b.name, b.tableArgs?.map((i) => i.fields.join(','))]),
        [
          ['Owned', ['owner_id']],
          ['Flagged', ['flag_id', 'flag_id,id']],
        ],
      );
      assert.equal(table(schema, 'notes').inheritsTableArgs, undefined);
    });

    it('evaluates only the `__table_args__` every path of the method returns', () => {
      const tableArgs = (body: string[]) =>
        pythonSchema(
          [
            'from sqlalchemy import Column, ForeignKey, Index',
            'from sqlalchemy.orm import declared_attr',
            'class Owned:',
            '    owner_id = Column(ForeignKey("users.id"))',
            '    @declared_attr',
            '    def __table_args__(cls):',
            ...body.map((line) => `        ${line}`),
          ].join('\n'),
        ).schema.mappedBases?.[0]?.tableArgs?.map((i) => i.fields.join(','));
      const index = 'Index("ix", "owner_id")';
      assert.deepEqual(tableArgs([`return (${index},)`]), ['owner_id']);
      assert.deepEqual(tableArgs(['if cls.pg:', `    return (${index},)`, 'return ()']), []);
      assert.deepEqual(tableArgs(['if cls.pg:', `    return (${index},)`]), [], 'None otherwise');
      assert.deepEqual(
        tableArgs(['args = []', 'for c in cls.cols:', '    return (Index("i", c),)', 'return ()']),
        [],
      );
      assert.deepEqual(tableArgs(['args = (Index("ix", "owner_id"),)', 'return args']), []);
    });

    it('reads the later of two classes of one name, the earlier for the classes between', () => {
      const { schema } = pythonSchema(
        [
          'from sqlalchemy import Column, ForeignKey, Integer',
          'class Linked(Base):',
          '    __abstract__ = True',
          '    first_id = Column(ForeignKey("a.id"))',
          'class Early(Linked):',
          '    __tablename__ = "early"',
          '    id = Column(Integer, primary_key=True)',
          'class Linked(Base):',
          '    __abstract__ = True',
          '    second_id = Column(ForeignKey("b.id"))',
          'class Late(Linked):',
          '    __tablename__ = "late"',
          '    id = Column(Integer, primary_key=True)',
          'class Late(Linked):',
          '    __tablename__ = "late"',
          '    __table_args__ = {"extend_existing": True}',
          '    id = Column(Integer, primary_key=True)',
          '    note = Column(Integer)',
        ].join('\n'),
      );
      assert.deepEqual(
        schema.tables.map((t) => [t.name, t.columns.map((c) => c.name).join(',')]),
        [
          ['early', 'id,first_id'],
          ['late', 'id,note,second_id'],
        ],
      );
      assert.deepEqual(
        schema.mappedBases?.map((b) => [b.name, b.columns.map((c) => c.name).join(',')]),
        [['Linked', 'second_id']],
      );
    });

    it('links the bases and aliases other modules declare, and leaves the key to fold', () => {
      const { schema } = pythonSchema(
        [
          'from datetime import datetime',
          'from sqlalchemy import ForeignKey',
          'from sqlalchemy.orm import Mapped, mapped_column',
          'from app.db import RecordModel, Base',
          'from app.db.types import intpk',
          'class Local(RecordModel):',
          '    __abstract__ = True',
          'class Order(Local):',
          '    __tablename__ = "orders"',
          '    id: Mapped[intpk] = mapped_column(init=False)',
          '    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"), primary_key=True)',
          '    placed_at: Mapped[datetime]',
        ].join('\n'),
      );
      const orders = table(schema, 'orders');
      assert.deepEqual(orders.bases, ['app.db.RecordModel']);
      assert.deepEqual(column(orders, 'id').alias, {
        ref: 'app.db.types.intpk',
        own: {
          primaryKey: undefined,
          unique: undefined,
          index: undefined,
          foreignKey: undefined,
          type: undefined,
        },
      });
      assert.equal(column(orders, 'placed_at').alias, undefined, 'datetime is no alias');
      assert.equal(column(orders, 'shop_id').primaryKey, true, 'folded once the index knows id');
      assert.equal(schema.indexes.length, 0);
    });
  });

  describe('SQLModel', () => {
    const models = [
      'import uuid',
      'from sqlalchemy import Column, String',
      'from sqlmodel import Field, Relationship, SQLModel',
      '',
      'class UserBase(SQLModel):',
      '    email: str = Field(unique=True, index=True, max_length=255)',
      '    full_name: str | None = None',
      '',
      'class UserCreate(UserBase):',
      '    password: str',
      '',
      'class UserAccount(UserBase, table=True):',
      '    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)',
      '    handle: str = Field(sa_column=Column("handle_name", String(40), index=True))',
      '    items: list["Item"] = Relationship(back_populates="owner")',
      '',
      'class Item(SQLModel, table=True):',
      '    __tablename__ = "items"',
      '    id: int | None = Field(default=None, primary_key=True)',
      '    owner_id: uuid.UUID = Field(foreign_key="useraccount.id", nullable=False)',
      '    code: str = Field(sa_column_kwargs={"unique": True})',
      '    model_config = {"extra": "ignore"}',
    ].join('\n');

    it('maps table=True classes, named after the class lowercased unless __tablename__ says', () => {
      const { schema } = pythonSchema(models);
      assert.deepEqual(
        schema.tables.map((t) => [t.name, t.className]),
        [
          ['useraccount', 'UserAccount'],
          ['items', 'Item'],
        ],
      );
      assert.deepEqual(
        schema.mappedBases?.map((b) => b.name),
        ['UserBase', 'UserCreate'],
      );
    });

    it('reads Field flags, foreign keys, sa_column and inherited fields', () => {
      const { schema } = pythonSchema(models);
      const users = table(schema, 'useraccount');
      assert.equal(column(users, 'id').primaryKey, true);
      assert.equal(column(users, 'email').unique, true, 'inherited from UserBase');
      assert.equal(column(users, 'full_name').indexed, false);
      assert.equal(column(users, 'handle_name').attribute, 'handle');
      assert.equal(column(users, 'handle_name').indexed, true);
      assert.deepEqual(users.relationships, ['items']);
      const items = table(schema, 'items');
      assert.deepEqual(column(items, 'owner_id').foreignKey, {
        table: 'useraccount',
        column: 'id',
      });
      assert.equal(column(items, 'code').unique, true);
      assert.ok(!items.columns.some((c) => c.name === 'model_config'));
      const ownerId = column(items, 'owner_id');
      assert.ok(models.slice(0, ownerId.indexInsertAt).endsWith('nullable=False'));
    });
  });

  describe('Django', () => {
    const models = [
      'from django.db import models',
      '',
      'class Stamped(models.Model):',
      '    created_at = models.DateTimeField(db_index=True)',
      '    class Meta:',
      '        abstract = True',
      '',
      'class Post(Stamped):',
      '    author = models.ForeignKey("auth.User", on_delete=models.CASCADE)',
      '    editor = models.ForeignKey("auth.User", db_index=False, on_delete=models.SET_NULL)',
      '    slug = models.SlugField(unique=True)',
      '    status = models.CharField(max_length=10)',
      '    tags = models.ManyToManyField("Tag")',
      '    class Meta:',
      '        db_table = "blog_posts"',
      '        indexes = [models.Index(fields=["status", "-created_at"], name="post_status")]',
      '        unique_together = ("author", "slug")',
    ].join('\n');

    it('reads fields, implicit foreign-key indexes and Meta', () => {
      const { schema } = pythonSchema(models, 'blog/models.py');
      assert.deepEqual(
        schema.tables.map((t) => t.name),
        ['blog_posts'],
      );
      const posts = table(schema, 'blog_posts');
      assert.equal(column(posts, 'author_id').implicitlyIndexed, true);
      assert.equal(column(posts, 'author_id').indexed, true);
      assert.equal(column(posts, 'editor_id').indexed, false);
      assert.equal(column(posts, 'created_at').indexed, true, 'inherited from the abstract model');
      assert.deepEqual(posts.relationships, ['author', 'editor', 'tags']);
      assert.deepEqual(
        schema.indexes.map((i) => [i.columns, i.unique]),
        [
          [['status', 'created_at'], false],
          [['author_id', 'slug'], true],
        ],
      );
    });

    it('records the related managers relation fields add, not one-row accessors', () => {
      const { schema } = pythonSchema(
        [
          'from django.db import models',
          'class Loan(models.Model):',
          '    book = models.ForeignKey("Book", on_delete=models.CASCADE, related_name="loans")',
          '    member = models.ForeignKey("Member", on_delete=models.CASCADE)',
          '    desk = models.ForeignKey("Desk", on_delete=models.CASCADE, related_name="+")',
          '    card = models.OneToOneField("Card", on_delete=models.CASCADE)',
          '    staff = models.ManyToManyField("Staff", related_name="handled_loans")',
          '    notes = models.ManyToManyField("Note")',
          '    site = models.ForeignKey("Site", models.CASCADE, related_name="%(class)s_items")',
        ].join('\n'),
        'lending/models.py',
      );
      // Reverse `ForeignKey` and both sides of `ManyToManyField`; a `OneToOneField` reverse is one
      // row, `+` adds none, and a `%(class)s` template is no one name.
      assert.deepEqual(table(schema, 'lending_loan').relatedManagers, [
        'loans',
        'loan_set',
        'staff',
        'handled_loans',
        'notes',
        'loan_set',
      ]);
    });

    it('records the managers a model declares under its own names, and its abstract bases', () => {
      const { schema } = pythonSchema(
        [
          'from django.db import models',
          'class Dated(models.Model):',
          '    recent = RecentQuerySet.as_manager()',
          '    class Meta:',
          '        abstract = True',
          'class Basket(Dated):',
          '    objects = models.Manager()',
          '    open = OpenBasketManager()',
          '    every = models.Manager.from_queryset(BasketQuerySet)()',
          '    rules = dict(max_lines=5)',
          '    owner = models.ForeignKey("Owner", on_delete=models.CASCADE)',
        ].join('\n'),
        'shop/models.py',
      );
      // A call of a `...Manager` class, `as_manager()`, `from_queryset(...)()`; not other values.
      assert.deepEqual(table(schema, 'shop_basket').customManagers, [
        'recent',
        'objects',
        'open',
        'every',
      ]);
      assert.deepEqual(schema.mappedBases?.[0].customManagers, ['recent']);
    });

    it('gives models that declare no primary key the implicit `id` one', () => {
      const { schema } = pythonSchema(
        [
          'from django.db import models',
          'class Tag(models.Model):',
          '    name = models.CharField(max_length=9)',
          'class Code(models.Model):',
          '    value = models.CharField(max_length=9, primary_key=True)',
        ].join('\n'),
        'blog/models.py',
      );
      const id = column(table(schema, 'blog_tag'), 'id');
      assert.equal(id.primaryKey, true);
      assert.deepEqual(
        table(schema, 'blog_code').columns.map((c) => [c.name, c.primaryKey]),
        [['value', true]],
      );
      const posts = table(pythonSchema(models, 'blog/models.py').schema, 'blog_posts');
      assert.ok(column(posts, 'id').primaryKey, 'also below an abstract model');
    });

    it('reads the later of two models of one name', () => {
      const { schema } = pythonSchema(
        [
          'from django.db import models',
          'class Dated(models.Model):',
          '    created = models.DateTimeField()',
          '    class Meta:',
          '        abstract = True',
          'class Dated(models.Model):',
          '    updated = models.DateTimeField()',
          '    class Meta:',
          '        abstract = True',
          'class Tag(Dated):',
          '    name = models.CharField(max_length=9)',
          'class Tag(Dated):',
          '    label = models.CharField(max_length=9)',
        ].join('\n'),
        'blog/models.py',
      );
      assert.deepEqual(
        schema.tables.map((t) => [t.name, t.columns.map((c) => c.name).join(',')]),
        [['blog_tag', 'updated,label,id']],
      );
      assert.deepEqual(
        schema.mappedBases?.map((b) => [b.name, b.columns.map((c) => c.name).join(',')]),
        [['Dated', 'updated']],
      );
    });

    it('names default tables after the app label', () => {
      const { schema } = pythonSchema(
        'from django.db import models\nclass Tag(models.Model):\n    name = models.CharField(max_length=9)\n',
        'blog/models.py',
      );
      assert.equal(schema.tables[0]?.name, 'blog_tag');
    });
  });

  describe('Alembic', () => {
    const migration = [
      'import sqlalchemy as sa',
      'from alembic import op',
      '',
      'revision = "b2"',
      'down_revision = ("a1", "a2")',
      '',
      'def upgrade():',
      '    op.create_table(',
      '        "comments",',
      '        sa.Column("id", sa.Integer(), primary_key=True),',
      '        sa.Column("post_id", sa.Integer(), sa.ForeignKey("posts.id")),',
      '        sa.UniqueConstraint("post_id", "id", name="uq_comment"),',
      '    )',
      '    op.create_index(op.f("ix_comments_post_id"), "comments", ["post_id"], unique=False)',
      '    op.drop_index("ix_old", table_name="comments")',
      '    with op.batch_alter_table("posts") as batch_op:',
      '        batch_op.create_index("ix_posts_slug", ["slug"], unique=True)',
      '        batch_op.add_column(sa.Column("editor_id", sa.Integer(), sa.ForeignKey("users.id")))',
      '    op.create_foreign_key("fk_x", "likes", "posts", ["post_id"], ["id"])',
      '    op.execute("CREATE INDEX CONCURRENTLY ix_likes_post ON likes (post_id)")',
      '',
      'def downgrade():',
      '    op.drop_index(op.f("ix_comments_post_id"), table_name="comments")',
    ].join('\n');

    it('reads the revision link and only the upgrade operations, in order', () => {
      const { schema } = pythonSchema(migration, 'alembic/versions/b2_comments.py');
      assert.deepEqual(schema.migration, {
        revision: 'b2',
        downRevision: 'a1',
        downRevisions: ['a1', 'a2'],
      });
      assert.deepEqual(
        schema.operations.map((o) => [o.kind, o.name, o.table, o.columns.join(','), o.unique]),
        [
          ['create', 'uq_comment', 'comments', 'post_id,id', true],
          ['create', 'ix_comments_post_id', 'comments', 'post_id', false],
          ['drop', 'ix_old', 'comments', '', false],
          ['create', 'ix_posts_slug', 'posts', 'slug', true],
          ['create', 'ix_likes_post', 'likes', 'post_id', false],
        ],
      );
      const statement = migration.indexOf('CREATE INDEX');
      assert.equal(schema.operations[4].start, statement);
    });

    it('records tables, added columns and foreign keys the migration creates', () => {
      const { schema } = pythonSchema(migration, 'alembic/versions/b2_comments.py');
      assert.ok(schema.tables.every((t) => t.source === 'alembic'));
      assert.deepEqual(column(table(schema, 'comments'), 'post_id').foreignKey, {
        table: 'posts',
        column: 'id',
      });
      assert.deepEqual(column(table(schema, 'posts'), 'editor_id').foreignKey, {
        table: 'users',
        column: 'id',
      });
      assert.deepEqual(column(table(schema, 'likes'), 'post_id').foreignKey, {
        table: 'posts',
        column: 'id',
      });
    });
  });

  describe('query columns', () => {
    it('groups the uses of one query chain and skips unindexable predicates', () => {
      const { uses } = pythonSchema(
        [
          'def q(db, email, d):',
          '    db.query(User).filter(User.email == email, User.name.ilike("%x%")).order_by(User.created_at.desc()).all()',
          '    db.query(User).filter_by(org_id=1).first()',
          '    db.query(User).join(Org).filter_by(name="x").all()',
          '    db.execute(select(users).where(users.c.slug != "x", users.c.kind.in_(["a"])))',
          '    Post.objects.filter(author=d, title__icontains="x", created_at__gte=d, author__name="y").order_by("-created_at")',
          '    row.filter(email=email)',
          '    Post.objects.filter(pk=d)',
        ].join('\n'),
      );
      const summary = uses.map(
        (u) => `${u.model}.${u.column}:${u.role}${u.viaRelation ? ':via-relation' : ''}`,
      );
      assert.deepEqual(summary, [
        'User.created_at:sort',
        'User.email:filter',
        'User.org_id:filter',
        'users.kind:filter',
        'Post.created_at:sort',
        'Post.author:filter',
        'Post.created_at:filter',
        'Post.author:filter:via-relation',
        'Post.pk:filter',
      ]);
      assert.equal(uses[0].queryId, uses[1].queryId);
      assert.notEqual(uses[1].queryId, uses[2].queryId);
    });
  });
});

describe('workspace index over schema facts', function () {
  this.timeout(20000);

  it('applies Flyway-style files in version order and Alembic drops in revision order', async () => {
    const files: MemoryFile[] = [
      {
        relativePath: 'db/V1__init.sql',
        text: 'CREATE TABLE t (id int PRIMARY KEY, a int, b int);',
      },
      { relativePath: 'db/V10__drop.sql', text: 'DROP INDEX t_a;' },
      { relativePath: 'db/V2__index.sql', text: 'CREATE INDEX t_a ON t (a);' },
      {
        relativePath: 'alembic/versions/2_drop.py',
        text: 'revision = "r2"\ndown_revision = "r1"\ndef upgrade():\n    op.drop_index("ix_t_b", table_name="t")\n',
      },
      {
        relativePath: 'alembic/versions/1_create.py',
        text: 'revision: str = "r1"\ndown_revision: Union[str, None] = None\ndef upgrade():\n    op.create_index("ix_t_b", "t", ["b"])\n',
      },
    ];
    const { session } = await analyze(files);
    const index = session.index;
    assert.equal(index.isIndexedColumn('t', 'id'), true);
    assert.equal(index.isIndexedColumn('t', 'a'), false, 'V10 runs after V2');
    assert.equal(index.isIndexedColumn('t', 'b'), false, 'r2 drops what r1 created');
    assert.deepEqual(
      index.migrations().map((m) => m.migration.revision),
      ['r1', 'r2'],
    );
    assert.deepEqual(
      index.migrationHeads().map((m) => m.migration.revision),
      ['r2'],
    );
  });
});

describe('workspace index over model bases and aliases of other modules', function () {
  this.timeout(20000);

  const files: MemoryFile[] = [
    {
      relativePath: 'app/db/__init__.py',
      text: 'from .base import Record, Stamped\n',
    },
    {
      relativePath: 'app/db/base.py',
      text: [
        'from sqlalchemy import DateTime',
        'from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column',
        'from app.db.types import intpk',
        'class Base(DeclarativeBase):',
        '    pass',
        'class Stamped:',
        '    created_at: Mapped[DateTime] = mapped_column(index=True)',
        'class Record(Base):',
        '    __abstract__ = True',
        '    id: Mapped[intpk]',
      ].join('\n'),
    },
    {
      relativePath: 'app/db/types.py',
      text: [
        'from typing import Annotated',
        'from sqlalchemy.orm import mapped_column',
        'intpk = Annotated[int, mapped_column(primary_key=True)]',
      ].join('\n'),
    },
    {
      relativePath: 'app/models.py',
      text: [
        'from sqlalchemy import ForeignKey',
        'from sqlalchemy.orm import Mapped, mapped_column',
        'from app.db import Record, Stamped',
        'from app.db.types import intpk',
        'class Order(Record, Stamped):',
        '    __tablename__ = "orders"',
        '    note: Mapped[str]',
        'class OrderLine(Record):',
        '    __tablename__ = "order_lines"',
        '    product_id: Mapped[intpk] = mapped_column(ForeignKey("products.id"))',
      ].join('\n'),
    },
  ];

  it('adds inherited columns, marked with the file that declares them', async () => {
    const { session } = await analyze(files);
    const [{ file, table: orders }] = session.index.tablesOfClass('Order');
    assert.equal(file, 'app/models.py');
    assert.deepEqual(
      orders.columns.map((c) => [c.name, c.primaryKey, c.indexed, c.file]),
      [
        ['note', false, false, undefined],
        ['id', true, true, 'app/db/base.py'],
        ['created_at', false, true, 'app/db/base.py'],
      ],
    );
    assert.equal(session.index.isIndexedColumn('orders', 'created_at'), true);
  });

  it('folds the composite primary key that inherited and aliased keys form', async () => {
    const { session } = await analyze(files);
    const [{ table: lines }] = session.index.tablesOfClass('OrderLine');
    assert.deepEqual(
      lines.columns.map((c) => [c.name, c.primaryKey]),
      [
        ['product_id', false],
        ['id', false],
      ],
    );
    assert.deepEqual(
      session.index.indexesOn('order_lines').map((i) => i.columns),
      [['product_id', 'id']],
    );
  });
});

describe('unindexed-foreign-key migration fix', function () {
  this.timeout(20000);

  const models: MemoryFile = {
    relativePath: 'app/models.py',
    text: [
      'from sqlalchemy import Column, ForeignKey, Integer',
      'from sqlalchemy.orm import declarative_base',
      '',
      'Base = declarative_base()',
      '',
      'class Order(Base):',
      '    __tablename__ = "orders"',
      '    id = Column(Integer, primary_key=True)',
      '    customer_id = Column(Integer, ForeignKey("customers.id"))',
      '',
    ].join('\n'),
  };
  const head: MemoryFile = {
    relativePath: 'alembic/versions/5e1f00c0ffee_orders.py',
    text: [
      'from alembic import op',
      'revision = "5e1f00c0ffee"',
      'down_revision = None',
      'def upgrade():',
      '    pass',
      '',
    ].join('\n'),
  };

  async function findings(files: MemoryFile[]): Promise<Finding[]> {
    const { reports } = await analyze(files);
    return reports
      .flatMap((report) => report.findings)
      .filter((f) => f.ruleId === 'unindexed-foreign-key');
  }

  it('creates a parsable migration after the head that makes the finding go away', async () => {
    const [finding] = await findings([models, head]);
    assert.ok(finding, 'the foreign key is reported');
    assert.equal(finding.fixes.length, 2);
    const fix = finding.fixes[1];
    assert.equal(fix.safety, 'unsafe');
    assert.equal(fix.creates?.length, 1);
    const created = fix.creates![0];
    assert.match(created.file, /^alembic\/versions\/[0-9a-f]{12}_index_orders_customer_id\.py$/);
    assert.match(created.content, /^down_revision = "5e1f00c0ffee"$/m);
    assert.match(
      created.content,
      /op\.create_index\(op\.f\("ix_orders_customer_id"\), "orders", \["customer_id"\], unique=False\)/,
    );
    assert.match(
      created.content,
      /op\.drop_index\(op\.f\("ix_orders_customer_id"\), table_name="orders"\)/,
    );
    const tree = parse('python', created.content);
    assert.ok(!tree.rootNode.hasError, 'the migration parses');
    tree.delete();

    // The migration alone (without index=True in the model) already indexes the column.
    const withMigration = await findings([
      models,
      head,
      { relativePath: created.file, text: created.content },
    ]);
    assert.deepEqual(withMigration, []);
    const fixedModels = applyEdits(models.text, fix.edits).text;
    assert.match(fixedModels, /ForeignKey\("customers\.id"\), index=True\)/);
  });

  it('is not offered without migrations or with several heads', async () => {
    const [alone] = await findings([models]);
    assert.deepEqual(
      alone.fixes.map((f) => f.title),
      ['Add `index=True`'],
    );
    const branch: MemoryFile = {
      relativePath: 'alembic/versions/77_other.py',
      text: 'revision = "77"\ndown_revision = None\ndef upgrade():\n    pass\n',
    };
    const [branched] = await findings([models, head, branch]);
    assert.equal(branched.fixes.length, 1);
  });
});
